"""How a whole file fails: one exception type carrying the reason the manifest records."""

from __future__ import annotations

import errno

from pointline_core.errors import ParseError
from pointline_core.storage.environment import (
    DISK_FULL,
    READ_ONLY,
    environment_error,
    named_file,
    os_errno,
)


class FileFailed(Exception):
    """The whole file fails; ``reason`` goes to the manifest and the run report."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def hook_error(vendor: str, stage: str, exc: Exception) -> Exception:
    """A plugin hook raised: the file fails with a reason naming the plugin and the stage.

    A full disk or a read-only file system under a file the plugin was writing (a temporary
    file, say) is no fault of the Bronze file: that is returned as the environment error,
    which ends the run instead of failing one file after another.
    """
    code = os_errno(exc)
    written = named_file(exc)
    if written is not None and (code in DISK_FULL or code in READ_ONLY):
        error = environment_error(exc, written)
        if error is not None:
            return error
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
