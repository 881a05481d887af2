"""Pure builders for an offer DM once the offer is over: who claimed it, or that it ran out and went on to
the team, or to which team it was handed (the DM's Claim button is gone: the card is where it is worked).

`offer_outcome` decides, from the escalation's state as stored, what a DM posted for one routing step
says now (None: the offer is still running, leave the DM alone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.cards import fmt_clock, user_ref
from bot.mrkdwn import cut, escape

TEXT_LIMIT = 3000
FALLBACK_LIMIT = 4000


class OfferOutcome(StrEnum):
    CLAIMED = "claimed"  # someone claimed it (the person offered, or anyone else)
    EXPIRED = "expired"  # the reserved window ran out: it went on (the next person, or the team)
    HANDED_OFF = "handed_off"  # handed to another team (and nobody holds it now)


@dataclass(frozen=True)
class DmState:
    """What the DM now says: the outcome and who it concerns (the claimer, or the new team)."""

    outcome: OfferOutcome
    who: str = ""

    @property
    def key(self) -> str:
        return f"{self.outcome.value}:{self.who}"


@dataclass(frozen=True)
class EscalationNow:
    """The parts of the stored escalation that decide what an offer DM says."""

    status: str
    claimed_by: str
    team: str
    route_stage: str
    route_step: int
    offered_to: tuple[str, ...]


LIVE_STAGES = ("offered", "assigned")


def offer_outcome(esc: EscalationNow, *, user: str, step: int | None, team: str) -> DmState | None:
    """What the offer DM of `user` (posted at routing step `step`, for `team`) says now."""
    if esc.claimed_by:
        return DmState(OfferOutcome.CLAIMED, esc.claimed_by)
    if team and esc.team != team:
        return DmState(OfferOutcome.HANDED_OFF, esc.team)
    live = (
        esc.status == "open"
        and esc.route_stage in LIVE_STAGES
        and user in esc.offered_to
        and (step is None or esc.route_step == step)
    )
    return None if live else DmState(OfferOutcome.EXPIRED)


def closed_text(state: DmState, *, user: str, account: str, at: datetime | None) -> str:
    name = escape(account)
    when = f" at {fmt_clock(at)}" if at is not None else ""
    if state.outcome == OfferOutcome.CLAIMED:
        who = "You" if state.who == user else user_ref(state.who)
        return f":raising_hand: *{name}*: {who} claimed it{when}. The offer to you is over."
    if state.outcome == OfferOutcome.HANDED_OFF:
        return f":arrow_right: *{name}*: handed to team {escape(state.who)}{when}. The offer to you is over."
    return f":hourglass: *{name}*: the offer expired{when}, and it was sent to the team. Nothing for you to do."


def build_offer_closed(state: DmState, *, user: str, account: str, at: datetime | None, link: str) -> dict[str, Any]:
    """The offer DM, re-rendered once the offer is over (no Claim button: the card has the actions)."""
    line = closed_text(state, user=user, account=account, at=at)
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": cut(line, TEXT_LIMIT)}}]
    if link:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{link}|Open the card>"}]})
    fallback = line.replace(fmt_clock(at), at.strftime("%H:%M UTC")) if at is not None else line
    return {"text": cut(fallback, FALLBACK_LIMIT), "blocks": blocks}
