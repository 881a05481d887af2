"""The surge card's buttons (Claim all, Send status update) and the status update's form (thin: ack, parse,
one flow, answer; the plumbing is handlers/interactive.py's)."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient

from bot.cards import Action
from bot.deps import Deps
from bot.flows import surge, surge_resolve
from bot.surge_cards import (
    SURGE_RESOLVE_ACTION,
    SURGE_RESOLVE_BLOCK,
    SURGE_RESOLVE_MODAL,
    SURGE_STATUS_ACTION,
    SURGE_STATUS_BLOCK,
    SURGE_STATUS_MODAL,
)
from handlers.interactive import ack_only, button_id, field, form_id, open_form, submission, tell, values, who

NOT_ATTACHED = "This button is not attached to a surge any more."


def _text(view: dict[str, Any]) -> str:
    return str(field(values(view), SURGE_STATUS_BLOCK, SURGE_STATUS_ACTION).get("value") or "")


def _note(view: dict[str, Any]) -> str:
    return str(field(values(view), SURGE_RESOLVE_BLOCK, SURGE_RESOLVE_ACTION).get("value") or "")


def register(app: App, deps: Deps) -> None:
    def on_claim_all(body: dict[str, Any], respond: Respond) -> None:
        surge_id = button_id(body)  # the button's value is the surge id
        user, team = who(body)
        if surge_id is None:
            return tell(respond, NOT_ATTACHED)
        tell(respond, surge.claim_all(deps, surge_id, user, team).message)

    app.action(Action.SURGE_CLAIM.value)(ack=ack_only, lazy=[on_claim_all])

    def on_status(body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        surge_id = button_id(body)
        _, team = who(body)
        if surge_id is None:
            return tell(respond, NOT_ATTACHED)
        result, view = surge.status_modal(deps, surge_id, team)
        if view is None:
            return tell(respond, result.message)
        open_form(client, respond, body, view)

    app.action(Action.SURGE_STATUS.value)(ack=ack_only, lazy=[on_status])

    def errors(view: dict[str, Any]) -> dict[str, str]:
        if form_id(view) is None:  # the form keeps the surge's id
            return {SURGE_STATUS_BLOCK: "This form lost its surge; open it again."}
        if not _text(view).strip():
            return {SURGE_STATUS_BLOCK: "Write the status update first."}
        return {}

    def run(view: dict[str, Any], user: str, team: str) -> None:
        surge_id = form_id(view)
        assert surge_id is not None
        surge.send_status(deps, surge_id, user, team, _text(view), view_id=str(view.get("id", "")))

    submission(app, SURGE_STATUS_MODAL, errors, run)

    def on_resolve(body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        surge_id = button_id(body)
        _, team = who(body)
        if surge_id is None:
            return tell(respond, NOT_ATTACHED)
        result, view = surge_resolve.resolve_modal(deps, surge_id, team)
        if view is None:
            return tell(respond, result.message)
        open_form(client, respond, body, view)

    app.action(Action.SURGE_RESOLVE.value)(ack=ack_only, lazy=[on_resolve])

    def resolve_errors(view: dict[str, Any]) -> dict[str, str]:
        if form_id(view) is None:
            return {SURGE_RESOLVE_BLOCK: "This form lost its surge; open it again."}
        if not _note(view).strip():
            return {SURGE_RESOLVE_BLOCK: "Say what was wrong and what was done."}
        return {}

    def resolve_run(view: dict[str, Any], user: str, team: str) -> None:
        surge_id = form_id(view)
        assert surge_id is not None
        surge_resolve.resolve_surge(deps, surge_id, user, team, _note(view))

    submission(app, SURGE_RESOLVE_MODAL, resolve_errors, resolve_run)
