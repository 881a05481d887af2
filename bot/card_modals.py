"""Pure Block Kit builders for the modals the card's buttons open (stored state in, view out).

Views stay within Slack's limits (PLATFORM-FACTS, Block Kit: title 24 characters, private_metadata
3000, 100 blocks); the action and block ids are the constants of bot/cards.py.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.cards import (
    HANDOFF_MODAL,
    HANDOFF_NOTE_ACTION,
    HANDOFF_NOTE_BLOCK,
    HANDOFF_TEAM_ACTION,
    HANDOFF_TEAM_BLOCK,
    NEEDED_OPTIONS,
    NOTE_ACTION,
    NOTE_BLOCK,
    NOTE_MODAL,
    RESOLVE_MODAL,
    RESOLVE_NEEDED_ACTION,
    RESOLVE_NEEDED_BLOCK,
    RESOLVE_NOTE_ACTION,
    RESOLVE_NOTE_BLOCK,
    RESOLVE_REASON_ACTION,
    RESOLVE_REASON_BLOCK,
    SNOOZE_MODAL,
    SNOOZE_UNTIL_ACTION,
    SNOOZE_UNTIL_BLOCK,
    TEXT_LIMIT,
    Action,
    _button,
    _mrkdwn,
    _plain,
    card_block_id,
    cut,
    quote,
    safe,
)

NOTE_MAX = 2000  # characters of an internal or hand-off note (a thread reply stays far below 4000)
MAX_TEAM_OPTIONS = 100  # a static_select holds at most 100 options


def build_resolve_modal(escalation_id: int, account: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": RESOLVE_MODAL,
        "private_metadata": str(escalation_id),
        "title": _plain("Resolve escalation"),
        "submit": _plain("Resolve"),
        "close": _plain("Cancel"),
        "blocks": [
            {
                "type": "section",
                "text": _mrkdwn(safe(f"Resolving the escalation for *{account}*.", TEXT_LIMIT)),
            },
            {
                "type": "input",
                "block_id": RESOLVE_NOTE_BLOCK,
                "label": _plain("Resolution note"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": RESOLVE_NOTE_ACTION,
                    "multiline": True,
                    "max_length": 2000,
                    "placeholder": _plain("What was the problem, what did you do?"),
                },
            },
            {
                "type": "input",
                "block_id": RESOLVE_NEEDED_BLOCK,
                "label": _plain("Was a human needed?"),
                "element": {
                    "type": "radio_buttons",
                    "action_id": RESOLVE_NEEDED_ACTION,
                    "options": [
                        {"text": _plain(label), "value": value} for value, label in NEEDED_OPTIONS
                    ],
                },
            },
            {
                "type": "input",
                "block_id": RESOLVE_REASON_BLOCK,
                "optional": True,
                "label": _plain("Why? (optional)"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": RESOLVE_REASON_ACTION,
                    "max_length": 500,
                    "placeholder": _plain("e.g. the AI had the refund policy wrong"),
                },
            },
        ],
    }


def handoff_metadata(escalation_id: int, *, status: str, claimed_by: str, team: str) -> str:
    """What the agent saw when they opened the hand-off form: the hand-off only goes through if the
    escalation is still in that state when they submit (a claim in between wins, and they are told)."""
    return json.dumps({"e": escalation_id, "s": status, "c": claimed_by, "t": team}, separators=(",", ":"))


def parse_handoff_metadata(text: str) -> Mapping[str, Any] | None:
    try:
        got = json.loads(text)
    except (TypeError, ValueError):
        return None
    if not isinstance(got, dict) or not isinstance(got.get("e"), int):
        return None
    return got


def build_handoff_modal(
    escalation_id: int, account: str, *, teams: Sequence[str], status: str, claimed_by: str, team: str
) -> dict[str, Any]:
    """Hand to another team: choose one of the policy's teams (not the current one) and write a note."""
    options = [{"text": _plain(cut(t, 75)), "value": cut(t, 150)} for t in teams[:MAX_TEAM_OPTIONS]]
    return {
        "type": "modal",
        "callback_id": HANDOFF_MODAL,
        "private_metadata": handoff_metadata(escalation_id, status=status, claimed_by=claimed_by, team=team),
        "title": _plain("Hand to another team"),
        "submit": _plain("Hand over"),
        "close": _plain("Cancel"),
        "blocks": [
            {
                "type": "section",
                "text": _mrkdwn(
                    safe(
                        f"Handing the escalation for *{account}* away from team *{team}*. The new team gets"
                        " a card and its own chain; the customer is told who is taking over.",
                        TEXT_LIMIT,
                    )
                ),
            },
            {
                "type": "input",
                "block_id": HANDOFF_TEAM_BLOCK,
                "label": _plain("Team"),
                "element": {
                    "type": "static_select",
                    "action_id": HANDOFF_TEAM_ACTION,
                    "placeholder": _plain("Choose a team"),
                    "options": options,
                },
            },
            {
                "type": "input",
                "block_id": HANDOFF_NOTE_BLOCK,
                "label": _plain("Note for the new team"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": HANDOFF_NOTE_ACTION,
                    "multiline": True,
                    "max_length": NOTE_MAX,
                    "placeholder": _plain("What is known so far, and why it is theirs"),
                },
            },
        ],
    }


def build_note_modal(escalation_id: int, account: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": NOTE_MODAL,
        "private_metadata": str(escalation_id),
        "title": _plain("Add internal note"),
        "submit": _plain("Add note"),
        "close": _plain("Cancel"),
        "blocks": [
            {
                "type": "section",
                "text": _mrkdwn(
                    safe(
                        f"A note on the escalation for *{account}*: kept on its timeline and posted in the"
                        " card's thread. The customer does not see it.",
                        TEXT_LIMIT,
                    )
                ),
            },
            {
                "type": "input",
                "block_id": NOTE_BLOCK,
                "label": _plain("Note"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": NOTE_ACTION,
                    "multiline": True,
                    "max_length": NOTE_MAX,
                },
            },
        ],
    }


def build_snooze_modal(escalation_id: int, account: str, *, initial: datetime) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": SNOOZE_MODAL,
        "private_metadata": str(escalation_id),
        "title": _plain("Snooze escalation"),
        "submit": _plain("Snooze"),
        "close": _plain("Cancel"),
        "blocks": [
            {
                "type": "section",
                "text": _mrkdwn(
                    safe(
                        f"Put the escalation for *{account}* aside: no reminders or pages until then. It comes"
                        " back to the queue at that time, or as soon as the customer writes again.",
                        TEXT_LIMIT,
                    )
                ),
            },
            {
                "type": "input",
                "block_id": SNOOZE_UNTIL_BLOCK,
                "label": _plain("Until"),
                "element": {
                    "type": "datetimepicker",
                    "action_id": SNOOZE_UNTIL_ACTION,
                    "initial_date_time": int(initial.timestamp()),
                },
            },
        ],
    }


def build_came_back(
    escalation_id: int, *, team: str, account: str, text: str, link: str, reopenable: bool
) -> dict[str, Any]:
    """The DM to whoever resolved an escalation when the customer writes again in its thread: what they
    said, a link to the thread, and Reopen while the policy's window is open."""
    head = f"The customer of *{safe(account, 200)}* wrote again in the thread you resolved:"
    body = f"{head}\n{quote(text, TEXT_LIMIT - 400)}"
    if link:
        body += f"\n<{link}|Open the thread>"
    blocks: list[dict[str, Any]] = [{"type": "section", "text": _mrkdwn(cut(body, TEXT_LIMIT))}]
    if reopenable:
        blocks.append(
            {
                "type": "actions",
                "block_id": card_block_id(escalation_id, team),
                "elements": [_button("Reopen", Action.REOPEN, str(escalation_id))],
            }
        )
    fallback = f"The customer of {account} wrote again in the thread you resolved: {text}"
    return {"text": cut(fallback, 3900), "blocks": blocks}
