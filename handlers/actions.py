"""Button clicks on the escalation card and the Resolve modal.

Each listener is split the way Bolt splits work for a fast answer: `ack` answers Slack at once (with
the modal's validation errors when there are any); the `lazy` part runs the flow on the inbox's
interactive lane, from the stored request, and again from the inbox if it did not finish.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

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


def _who(body: dict[str, Any]) -> tuple[str, str]:
    user = body.get("user") or {}
    return str(user.get("id", "")), str(user.get("team_id", ""))


def _escalation_id(body: dict[str, Any]) -> int | None:
    try:
        return int(body["actions"][0]["value"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def seen_team(body: dict[str, Any]) -> str | None:
    """The team of the card that was clicked (its actions block says), None for older cards."""
    try:
        return team_of_block(str(body["actions"][0].get("block_id") or ""))
    except (KeyError, IndexError, TypeError, AttributeError):
        return None


def _tell(respond: Respond, text: str) -> None:
    """An ephemeral answer through response_url: it reaches the clicker even if they are not a channel member."""
    respond(text=text, response_type="ephemeral", replace_original=False)


def _ack(ack: Ack) -> None:
    ack()


def _field(values: dict[str, Any], block: str, action: str) -> dict[str, Any]:
    got = (values.get(block) or {}).get(action) or {}
    return got if isinstance(got, dict) else {}


def _modal(view: dict[str, Any]) -> tuple[int | None, str, str, str]:
    """The escalation id, the note, 'was a human needed?' and its reason, from the Resolve modal."""
    try:
        esc_id: int | None = int(view.get("private_metadata", ""))
    except (TypeError, ValueError):
        esc_id = None
    values = (view.get("state") or {}).get("values") or {}
    note = str(_field(values, RESOLVE_NOTE_BLOCK, RESOLVE_NOTE_ACTION).get("value") or "")
    picked = _field(values, RESOLVE_NEEDED_BLOCK, RESOLVE_NEEDED_ACTION).get("selected_option") or {}
    needed = str(picked.get("value") or "") if isinstance(picked, dict) else ""
    reason = str(_field(values, RESOLVE_REASON_BLOCK, RESOLVE_REASON_ACTION).get("value") or "")
    return esc_id, note, needed, reason


NOT_ATTACHED = "That button is not attached to an escalation."
ClickFlow = Callable[[Deps, int, str, str], flows.ClickResult]


def register(app: App, deps: Deps) -> None:
    def button(action: Action, flow: ClickFlow) -> None:
        def on_click(body: dict[str, Any], respond: Respond) -> None:
            esc_id = _escalation_id(body)
            user, team = _who(body)
            if esc_id is None:
                return _tell(respond, NOT_ATTACHED)
            with log_context(escalation_id=esc_id):
                result = flow(deps, esc_id, user, team)
            if not result.ok:
                _tell(respond, result.message)

        app.action(action.value)(ack=_ack, lazy=[on_click])

    def on_claim(body: dict[str, Any], respond: Respond) -> None:
        esc_id = _escalation_id(body)
        user, team = _who(body)
        if esc_id is None:
            return _tell(respond, NOT_ATTACHED)
        with log_context(escalation_id=esc_id):
            result = flows.claim(deps, esc_id, user, team, seen_team=seen_team(body))
        if not result.ok:
            _tell(respond, result.message)

    app.action(Action.CLAIM.value)(ack=_ack, lazy=[on_claim])
    button(Action.RELEASE, flows.release)

    def on_resolve(body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        esc_id = _escalation_id(body)
        user, team = _who(body)
        if esc_id is None:
            return _tell(respond, NOT_ATTACHED)
        result, view = flows.resolve_modal(deps, esc_id, user, team)
        if view is None:
            return _tell(respond, result.message)
        try:
            client.views_open(trigger_id=body["trigger_id"], view=view)
        except SlackApiError as exc:  # a trigger_id lives 3 s: a replay after a crash finds it expired
            _tell(respond, f"Could not open the form ({exc.response.get('error')}); click Resolve again.")

    app.action(Action.RESOLVE.value)(ack=_ack, lazy=[on_resolve])

    def _errors(view: dict[str, Any]) -> dict[str, str]:
        esc_id, note, needed, _ = _modal(view)
        if esc_id is None:
            return {RESOLVE_NOTE_BLOCK: "This form lost its escalation; open it again."}
        if not note.strip():
            return {RESOLVE_NOTE_BLOCK: "Say in a line what was done."}
        if needed and needed not in flows.NEEDED_VALUES:
            return {RESOLVE_NEEDED_BLOCK: "Pick one of the answers."}
        return {}

    def on_resolve_ack(ack: Ack, view: dict[str, Any]) -> None:
        errors = _errors(view)
        if errors:
            ack(response_action="errors", errors=errors)
        else:
            ack()

    def on_resolve_submit(body: dict[str, Any], view: dict[str, Any]) -> None:
        if _errors(view):
            return  # answered with the errors already
        esc_id, note, needed, reason = _modal(view)
        assert esc_id is not None
        user, team = _who(body)
        flows.resolve(deps, esc_id, user, team, note, needed=needed, needed_reason=reason)

    app.view(RESOLVE_MODAL)(ack=on_resolve_ack, lazy=[on_resolve_submit])
