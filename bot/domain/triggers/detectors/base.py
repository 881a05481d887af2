"""The shape of a detector unit, and what it is given.

A detector is one small class in its own module under detectors/, registered in detectors/__init__.py:

- `params`: the parameters a trigger using it takes (kind, range, whether per segment);
- `scan(spec, msg)`: per-message analysis, run once when a customer message arrives; what it finds is
  stored on the message as `Hit`s (phrase rules, human requests, profanity);
- `fire(spec, segment, view)`: the firing rule over the conversation, returning the trigger with its
  evidence, or None;
- `holds(spec, account, segment, now)`: for business contexts only, the evidence detail when the
  context holds for the account.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar

from bot.domain.model import Account, Evidence, FiredTrigger, Message
from bot.domain.triggers.analysis import Hit, MessageAnalysis
from bot.domain.triggers.spec import DetectorKind, Family, TriggerSpec
from bot.domain.triggers.text import Normalised, normalise
from bot.domain.triggers.values import Param

Turn = tuple[Message, MessageAnalysis]


def to_utc(value: datetime) -> datetime:
    """Aware UTC; a naive datetime is taken to be UTC already (as bot.clock.to_utc)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def head(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


@dataclass
class MessageInput:
    """One customer message as the per-message scans see it (the raw text is already clipped)."""

    raw: str
    norm: Normalised
    _plain: Normalised | None = None

    @property
    def plain(self) -> Normalised:
        """The message normalised without typo correction (computed on first use)."""
        if self._plain is None:
            self._plain = normalise(self.raw, fuzzy=False)
        return self._plain


@dataclass
class ConversationView:
    """What the firing rules read: the turns since the last human agent reply, and what was found."""

    conv: Sequence[Turn]
    customers: Sequence[Turn]
    hits: Mapping[str, Sequence[tuple[Message, Hit]]]
    contexts: Sequence[tuple[TriggerSpec, str]] = field(default_factory=tuple)
    # model label -> the customer turns that scored it at least LIKELY (in order), with the score
    labels: Mapping[str, Sequence[tuple[Message, MessageAnalysis, float]]] = field(default_factory=dict)


def fired(spec: TriggerSpec, segment: str, evidence: Sequence[Evidence]) -> FiredTrigger:
    return FiredTrigger(
        id=spec.id,
        family=str(spec.family),
        urgency=spec.urgency.get(segment),
        reason=spec.reason,
        category=spec.category,
        evidence=tuple(evidence[-3:]),  # the latest three are enough for a card and a timeline
    )


class Detector:
    """Base of every detector unit (see the module docstring)."""

    kind: ClassVar[DetectorKind]
    family: ClassVar[Family]  # the family a trigger gets when the policy names none
    params: ClassVar[Mapping[str, Param]] = {}
    business: ClassVar[bool] = False  # a business context: never escalates on its own
    word_lists: ClassVar[bool] = False  # takes `phrases`, `regex` and `unless`
    hints: ClassVar[bool] = False  # with `escalate: false`, hints the conversation's category
    needs_label: ClassVar[bool] = False  # reads a model label: the trigger must name one (`label:`)
    # fires only because of a business context: that context's `raise_urgency` does not apply to it
    context_only: ClassVar[bool] = False

    def scan(self, spec: TriggerSpec, msg: MessageInput) -> Iterable[Hit]:
        return ()

    def hint(self, spec: TriggerSpec, msg: MessageInput) -> int:
        return 0

    def fire(self, spec: TriggerSpec, segment: str, view: ConversationView) -> FiredTrigger | None:
        return None

    def holds(self, spec: TriggerSpec, account: Account, segment: str, now: datetime) -> str | None:
        return None
