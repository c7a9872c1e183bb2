"""Ctrl-C ends a command with one line, whatever Python was doing when it arrived.

Python raises the KeyboardInterrupt of a SIGINT in whatever the main thread runs next; when
that is a garbage-collection callback (a finalizer, a weakref callback of a thread pool),
the exception cannot propagate: Python prints it as an "Exception ignored in ..." traceback
and the command carries on. The hook here swallows such an interrupt and raises it again in
the main thread's normal flow, where the command's ``KeyboardInterrupt`` handler prints
``pointline: interrupted``.
"""

from __future__ import annotations

import _thread
import sys
import time
from typing import Any


def _interrupt_main_soon() -> None:
    time.sleep(0.01)  # let the hook return first: the interrupt must land in the main flow
    _thread.interrupt_main()


def install() -> None:
    """Route interrupts that landed in unraisable contexts back to the main flow."""
    previous = sys.unraisablehook
    if getattr(previous, "_pointline_interrupts", False):
        return

    def hook(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            # From another thread (started without waiting for it), so the interrupt lands
            # after this hook has returned.
            _thread.start_new_thread(_interrupt_main_soon, ())
            return
        previous(unraisable)

    hook._pointline_interrupts = True  # type: ignore[attr-defined]
    sys.unraisablehook = hook
