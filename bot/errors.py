"""Errors the `baton` command turns into one line and an exit code (kept import-light for the CLI)."""

from __future__ import annotations


class StartupError(Exception):
    """Baton cannot start; the message is one line saying what is wrong and what to do (exit 2)."""
