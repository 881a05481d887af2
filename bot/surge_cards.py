"""The surge card (pure Block Kit): one message for many escalations of one cause, re-rendered as more join."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.cards import TEXT_LIMIT, Action, _button, _mrkdwn, _plain, cut, escape, fmt_time, plain, quote

SURGE_STATUS_MODAL = "baton_surge_status_modal"
SURGE_STATUS_BLOCK = "status"
SURGE_STATUS_ACTION = "text"
SURGE_RESOLVE_MODAL = "baton_surge_resolve_modal"
SURGE_RESOLVE_BLOCK = "resolution"
SURGE_RESOLVE_ACTION = "note"
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
    resolved_at: datetime | None = None  # "Resolve surge": the incident and its escalations resolved
    resolved_by: str = ""
    resolution_note: str = ""


def build_surge_card(view: SurgeView) -> dict[str, Any]:
    n = len(view.members)
    waiting = sum(1 for m in view.members if m.status == "open")
    resolved = view.resolved_at is not None
    header = plain(f"SURGE{' RESOLVED' if resolved else ''} · {n} escalations · {view.cause}", 145)
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
    if resolved:
        line = (
            f":white_check_mark: *Surge resolved* by <@{view.resolved_by}> at {fmt_time(view.resolved_at)},"
            " with every escalation in it; each customer was told.\n" + quote(view.resolution_note, 1500)
        )
        blocks.append({"type": "section", "text": _mrkdwn(cut(line, TEXT_LIMIT))})
    else:
        elements = [
            _button("Send status update", Action.SURGE_STATUS, value, "primary"),
            _button("Resolve surge", Action.SURGE_RESOLVE, value),
        ]
        if waiting:
            elements.insert(0, _button(f"Claim all {waiting}", Action.SURGE_CLAIM, value))
        blocks.append({"type": "actions", "block_id": f"surge_{value}", "elements": elements})
    state = " (resolved)" if resolved else ""
    text = cut(f"Surge{state}: {n} escalations for team {escape(view.team)} ({escape(view.cause)})", 3900)
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


def build_resolve_modal(surge_id: int, active: int) -> dict[str, Any]:
    """The form of "Resolve surge": what was wrong and what was done (the customers hear it was resolved)."""
    return {
        "type": "modal",
        "callback_id": SURGE_RESOLVE_MODAL,
        "private_metadata": str(surge_id),
        "title": _plain("Resolve surge"),
        "submit": _plain("Resolve all"),
        "close": _plain("Cancel"),
        "blocks": [
            {
                "type": "section",
                "text": _mrkdwn(
                    f"Resolves the surge and the *{active}* escalation{'s' if active != 1 else ''} in it not resolved"
                    " yet, whoever claimed them; each customer is told in their thread that it was resolved."
                ),
            },
            {
                "type": "input",
                "block_id": SURGE_RESOLVE_BLOCK,
                "label": _plain("What was wrong, and what was done"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": SURGE_RESOLVE_ACTION,
                    "multiline": True,
                    "max_length": 1500,
                    "placeholder": _plain("The 502s came from a bad deploy; rolled back at 10:40."),
                },
            },
        ],
    }
