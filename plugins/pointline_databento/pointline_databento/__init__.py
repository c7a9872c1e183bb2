"""Pointline vendor plugin for Databento DBN files (entry point ``databento``)."""

__version__ = "0.1.0"
