"""How a whole file fails: one exception type carrying the reason the manifest records."""

from __future__ import annotations

import errno

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
    if isinstance(exc, PermissionError):
        # Readable when hashed, not when parsed (permissions changed during the run).
        return FileFailed(unreadable_reason(exc.filename or "the file", exc))
    return FileFailed(f"{stage}_error: plugin {vendor!r} raised {type(exc).__name__}: {exc}")


def unreadable_reason(path: object, exc: OSError) -> str:
    """``unreadable: <what>: <path>; <what to do>`` for a file that cannot be stat'ed or read."""
    what = (exc.strerror or type(exc).__name__).lower()
    if exc.errno in (errno.EACCES, errno.EPERM):
        fix = "make it readable by the user running pointline (chmod/chown) and rerun"
    elif exc.errno == errno.ENOENT:
        fix = "it disappeared while the run was listing Bronze; rerun"
    else:
        fix = "fix the file (or the disk) and rerun"
    return f"unreadable: {what}: {path}; {fix}"
