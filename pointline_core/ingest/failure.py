"""How a whole file fails: one exception type carrying the reason the manifest records."""

from __future__ import annotations

from pointline_core.errors import ParseError


class FileFailed(Exception):
    """The whole file fails; ``reason`` goes to the manifest and the run report."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def hook_error(vendor: str, stage: str, exc: Exception) -> FileFailed:
    """A plugin hook raised: the file fails with a reason naming the plugin and the stage."""
    if isinstance(exc, ParseError):
        return FileFailed(f"parse_error: plugin {vendor!r}: {exc}")
    return FileFailed(f"{stage}_error: plugin {vendor!r} raised {type(exc).__name__}: {exc}")
