"""Button clicks on the escalation card (Claim, Release, Resolve) and the Resolve modal.

Thin listeners on the shared plumbing of handlers/interactive.py: `ack` answers Slack at once (with
the modal's validation errors when there are any); the `lazy` part runs the flow on the inbox's
interactive lane, from the stored request, and again from the inbox if it did not finish.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App, Respond

from bot.cards import (
    RESOLVE_MODAL,
    RESOLVE_NEEDED_ACTION,
    RESOLVE_NEEDED_BLOCK,
    RESOLVE_NOTE_ACTION,
    RESOLVE_NOTE_BLOCK,
    RESOLVE_REASON_ACTION,
    RESOLVE_REASON_BLOCK,
    Action,
    team_of_block,
)
from bot.deps import Deps
from bot.flows import claim as flows
from bot.logs import log_context
from handlers.interactive import (
    NOT_ATTACHED,
    ack_only,
    button,
    button_id,
    field,
    form,
    form_id,
    submission,
    tell,
    values,
    who,
)


def seen_team(body: dict[str, Any]) -> str | None:
    """The team of the card that was clicked (its actions block says), None for older cards."""
    try:
        return team_of_block(str(body["actions"][0].get("block_id") or ""))
    except (KeyError, IndexError, TypeError, AttributeError):
        return None


def _modal(view: dict[str, Any]) -> tuple[int | None, str, str, str]:
    """The escalation id, the note, 'was a human needed?' and its reason, from the Resolve modal."""
    found = values(view)
    note = str(field(found, RESOLVE_NOTE_BLOCK, RESOLVE_NOTE_ACTION).get("value") or "")
    picked = field(found, RESOLVE_NEEDED_BLOCK, RESOLVE_NEEDED_ACTION).get("selected_option") or {}
    needed = str(picked.get("value") or "") if isinstance(picked, dict) else ""
    reason = str(field(found, RESOLVE_REASON_BLOCK, RESOLVE_REASON_ACTION).get("value") or "")
    return form_id(view), note, needed, reason


def register(app: App, deps: Deps) -> None:
    def on_claim(body: dict[str, Any], respond: Respond) -> None:
        esc_id = button_id(body)
        user, team = who(body)
        if esc_id is None:
            return tell(respond, NOT_ATTACHED)
        with log_context(escalation_id=esc_id):
            result = flows.claim(deps, esc_id, user, team, seen_team=seen_team(body))
        if not result.ok:
            tell(respond, result.message)

    app.action(Action.CLAIM.value)(ack=ack_only, lazy=[on_claim])
    button(app, deps, Action.RELEASE, flows.release)

    form(app, deps, Action.RESOLVE, flows.resolve_modal, label="Resolve")

    def resolve_errors(view: dict[str, Any]) -> dict[str, str]:
        esc_id, note, needed, _ = _modal(view)
        if esc_id is None:
            return {RESOLVE_NOTE_BLOCK: "This form lost its escalation; open it again."}
        if not note.strip():
            return {RESOLVE_NOTE_BLOCK: "Say in a line what was done."}
        if needed and needed not in flows.NEEDED_VALUES:
            return {RESOLVE_NEEDED_BLOCK: "Pick one of the answers."}
        return {}

    def resolve_run(view: dict[str, Any], user: str, team: str) -> None:
        esc_id, note, needed, reason = _modal(view)
        assert esc_id is not None
        flows.resolve(deps, esc_id, user, team, note, needed=needed, needed_reason=reason)

    submission(app, RESOLVE_MODAL, resolve_errors, resolve_run)
