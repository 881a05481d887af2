"""The surge card (pure Block Kit): one message for many escalations of one cause, re-rendered as more join."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.cards import TEXT_LIMIT, Action, _button, _mrkdwn, _plain, cut, escape, fmt_time, plain

SURGE_STATUS_MODAL = "baton_surge_status_modal"
SURGE_STATUS_BLOCK = "status"
SURGE_STATUS_ACTION = "text"
MAX_LISTED = 25


@dataclass(frozen=True)
class SurgeMember:
    escalation_id: int
    account: str
    status: str  # open | claimed | resolved | snoozed
    claimed_by: str = ""
    link: str = ""  # the customer's conversation


@dataclass(frozen=True)
class SurgeView:
    surge_id: int
    team: str
    cause: str  # in words: "the same error (502)", "an outage"
    opened_at: datetime
    members: Sequence[SurgeMember]
    status_updates: int = 0
    paged: bool = False


def build_surge_card(view: SurgeView) -> dict[str, Any]:
    n = len(view.members)
    waiting = sum(1 for m in view.members if m.status == "open")
    header = plain(f"SURGE · {n} escalations · {view.cause}", 145)
    lines = []
    for m in list(view.members)[:MAX_LISTED]:
        who = escape(m.account)
        name = f"<{m.link}|{who}>" if m.link else who
        state = {"open": "waiting", "claimed": f"claimed by <@{m.claimed_by}>" if m.claimed_by else "claimed"}.get(
            m.status, m.status
        )
        lines.append(f"• {name} · #{m.escalation_id} · {state}")
    if n > MAX_LISTED:
        lines.append(f"_+{n - MAX_LISTED} more_")
    summary = (
        f":ocean: *{n} escalations* for team *{escape(view.team)}* since {fmt_time(view.opened_at)}, likely one cause: "
        f"{escape(view.cause)}. {waiting} still waiting. On-call is paged once for all of them"
        + (" (paged)." if view.paged else ".")
    )
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(header)},
        {"type": "section", "text": _mrkdwn(cut(summary, TEXT_LIMIT))},
        {"type": "section", "text": _mrkdwn(cut("*Affected accounts*\n" + "\n".join(lines), TEXT_LIMIT))},
    ]
    if view.status_updates:
        sent = f"Status updates sent to every affected customer: {view.status_updates}"
        blocks.append({"type": "context", "elements": [_mrkdwn(sent)]})
    value = str(view.surge_id)
    elements = [_button("Send status update", Action.SURGE_STATUS, value, "primary")]
    if waiting:
        elements.insert(0, _button(f"Claim all {waiting}", Action.SURGE_CLAIM, value))
    blocks.append({"type": "actions", "block_id": f"surge_{value}", "elements": elements})
    text = cut(f"Surge: {n} escalations for team {escape(view.team)} ({escape(view.cause)})", 3900)
    return {"text": text, "blocks": blocks}


def build_status_modal(surge_id: int, count: int) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": SURGE_STATUS_MODAL,
        "private_metadata": str(surge_id),
        "title": _plain("Surge status update"),
        "submit": _plain("Send"),
        "close": _plain("Cancel"),
        "blocks": [
            {
                "type": "section",
                "text": _mrkdwn(f"Posted in the thread of each of the *{count}* affected customers."),
            },
            {
                "type": "input",
                "block_id": SURGE_STATUS_BLOCK,
                "label": _plain("Status update"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": SURGE_STATUS_ACTION,
                    "multiline": True,
                    "max_length": 1500,
                    "placeholder": _plain("We know about the outage and are fixing it; next update in 30 minutes."),
                },
            },
        ],
    }
