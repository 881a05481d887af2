"""Baton: the escalation layer between an AI support agent and the humans behind it."""

__version__ = "0.1.0"
