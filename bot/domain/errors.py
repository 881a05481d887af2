"""Errors raised by the pure core when given configuration it cannot accept."""

from __future__ import annotations

from collections.abc import Sequence


class PolicyError(ValueError):
    """A policy value is wrong.

    `path` is where in the policy document (keys and list indexes, e.g. ("triggers", "human_request",
    "urgency")); the policy loader turns it into a file and line number. `hint` says what is allowed.
    """

    def __init__(self, path: Sequence[str | int], message: str, hint: str = "") -> None:
        self.path = tuple(path)
        self.message = message
        self.hint = hint
        super().__init__(self.describe())

    def describe(self) -> str:
        where = ".".join(str(p) for p in self.path) or "(top level)"
        text = f"{where}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text
