"""The failure every conformance check raises: what is wrong, then how to fix it."""

from __future__ import annotations


class ConformanceFailure(AssertionError):
    """A plugin breaks the contract; the message says what is wrong and how to fix it."""


def fail(vendor: str, problem: str, fix: str) -> ConformanceFailure:
    """Build the failure every check raises, so all messages read the same way."""
    return ConformanceFailure(f"plugin {vendor!r}: {problem}\nHow to fix: {fix}")
