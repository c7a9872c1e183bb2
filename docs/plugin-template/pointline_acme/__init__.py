"""Pointline vendor plugin for acme (hooks in :mod:`pointline_acme.hooks`)."""

__version__ = "0.1.0"
