"""The card's other buttons (Take over, Hand to another team, Add note, Reopen, Snooze) and their forms.

On the shared plumbing of handlers/interactive.py: `ack` answers Slack at once (a form's validation
errors go back in it), the lazy part runs the flow from the stored request on the inbox's interactive lane.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_bolt import App

from bot.card_modals import parse_handoff_metadata
from bot.cards import (
    HANDOFF_MODAL,
    HANDOFF_NOTE_ACTION,
    HANDOFF_NOTE_BLOCK,
    HANDOFF_TEAM_ACTION,
    HANDOFF_TEAM_BLOCK,
    NOTE_ACTION,
    NOTE_BLOCK,
    NOTE_MODAL,
    SNOOZE_MODAL,
    SNOOZE_UNTIL_ACTION,
    SNOOZE_UNTIL_BLOCK,
    Action,
)
from bot.deps import Deps
from bot.flows import card_actions, card_extras
from bot.logs import log_context
from handlers.interactive import button, field, form, form_id, submission, values


def _handoff_form(view: dict[str, Any]) -> tuple[dict[str, Any] | None, str, str]:
    """What the agent saw (the form's metadata), the team chosen and the note."""
    found = values(view)
    picked = field(found, HANDOFF_TEAM_BLOCK, HANDOFF_TEAM_ACTION).get("selected_option") or {}
    team = str(picked.get("value") or "") if isinstance(picked, dict) else ""
    note = str(field(found, HANDOFF_NOTE_BLOCK, HANDOFF_NOTE_ACTION).get("value") or "")
    seen = parse_handoff_metadata(str(view.get("private_metadata", "")))
    return (dict(seen) if seen is not None else None), team, note


def _snooze_until(view: dict[str, Any]) -> datetime | None:
    raw = field(values(view), SNOOZE_UNTIL_BLOCK, SNOOZE_UNTIL_ACTION).get("selected_date_time")
    try:
        return datetime.fromtimestamp(int(str(raw)), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def register(app: App, deps: Deps) -> None:
    button(app, deps, Action.TAKE_OVER, card_actions.take_over)
    button(app, deps, Action.REOPEN, card_extras.reopen)

    form(app, deps, Action.HAND_OFF, card_actions.handoff_modal)
    form(app, deps, Action.ADD_NOTE, lambda d, e, _user, team: card_extras.note_modal(d, e, team))
    form(app, deps, Action.SNOOZE, lambda d, e, _user, team: card_extras.snooze_modal(d, e, team))

    def handoff_errors(view: dict[str, Any]) -> dict[str, str]:
        seen, team, note = _handoff_form(view)
        if seen is None:
            return {HANDOFF_TEAM_BLOCK: "This form lost its escalation; open it again."}
        problem = card_actions.handoff_problem(deps, team, seen)
        if problem:
            return {HANDOFF_TEAM_BLOCK: problem}
        if not note.strip():
            return {HANDOFF_NOTE_BLOCK: "Say in a line what the new team needs to know."}
        return {}

    def handoff_run(view: dict[str, Any], user: str, team: str) -> None:
        seen, to_team, note = _handoff_form(view)
        assert seen is not None
        with log_context(escalation_id=seen["e"]):
            card_actions.hand_off(deps, user, team, to_team, note, seen)

    submission(app, HANDOFF_MODAL, handoff_errors, handoff_run)

    def note_text(view: dict[str, Any]) -> str:
        return str(field(values(view), NOTE_BLOCK, NOTE_ACTION).get("value") or "")

    def note_errors(view: dict[str, Any]) -> dict[str, str]:
        if form_id(view) is None:
            return {NOTE_BLOCK: "This form lost its escalation; open it again."}
        if not note_text(view).strip():
            return {NOTE_BLOCK: "Write the note first."}
        return {}

    def note_run(view: dict[str, Any], user: str, team: str) -> None:
        esc_id = form_id(view)
        assert esc_id is not None
        with log_context(escalation_id=esc_id):
            card_extras.add_note(deps, esc_id, user, team, note_text(view), view_id=str(view.get("id", "")))

    submission(app, NOTE_MODAL, note_errors, note_run)

    def snooze_errors(view: dict[str, Any]) -> dict[str, str]:
        if form_id(view) is None:
            return {SNOOZE_UNTIL_BLOCK: "This form lost its escalation; open it again."}
        problem = card_extras.snooze_problem(deps, _snooze_until(view))
        return {SNOOZE_UNTIL_BLOCK: problem} if problem else {}

    def snooze_run(view: dict[str, Any], user: str, team: str) -> None:
        esc_id, until = form_id(view), _snooze_until(view)
        assert esc_id is not None and until is not None
        with log_context(escalation_id=esc_id):
            card_extras.snooze(deps, esc_id, user, team, until)

    submission(app, SNOOZE_MODAL, snooze_errors, snooze_run)
