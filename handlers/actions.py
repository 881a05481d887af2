"""Button clicks on the escalation card and the Resolve modal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.cards import (
    RESOLVE_MODAL,
    RESOLVE_NEEDED_ACTION,
    RESOLVE_NEEDED_BLOCK,
    RESOLVE_NOTE_ACTION,
    RESOLVE_NOTE_BLOCK,
    RESOLVE_REASON_ACTION,
    RESOLVE_REASON_BLOCK,
    Action,
)
from bot.deps import Deps
from bot.flows import claim as flows


def _who(body: dict[str, Any]) -> tuple[str, str]:
    user = body.get("user") or {}
    return str(user.get("id", "")), str(user.get("team_id", ""))


def _escalation_id(body: dict[str, Any]) -> int | None:
    try:
        return int(body["actions"][0]["value"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def _tell(respond: Respond, text: str) -> None:
    """An ephemeral answer through response_url: it reaches the clicker even if they are not a channel member."""
    respond(text=text, response_type="ephemeral", replace_original=False)


def _field(values: dict[str, Any], block: str, action: str) -> dict[str, Any]:
    got = (values.get(block) or {}).get(action) or {}
    return got if isinstance(got, dict) else {}


NOT_ATTACHED = "That button is not attached to an escalation."
ClickFlow = Callable[[Deps, int, str, str], flows.ClickResult]


def register(app: App, deps: Deps) -> None:
    def button(action: Action, flow: ClickFlow) -> None:
        @app.action(action.value)
        def on_click(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
            ack()
            esc_id = _escalation_id(body)
            user, team = _who(body)
            if esc_id is None:
                return _tell(respond, NOT_ATTACHED)
            result = flow(deps, esc_id, user, team)
            if not result.ok:
                _tell(respond, result.message)

    button(Action.CLAIM, flows.claim)
    button(Action.RELEASE, flows.release)

    @app.action(Action.RESOLVE.value)
    def on_resolve(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        esc_id = _escalation_id(body)
        _, team = _who(body)
        if esc_id is None:
            return _tell(respond, NOT_ATTACHED)
        result, view = flows.resolve_modal(deps, esc_id, team)
        if view is None:
            return _tell(respond, result.message)
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.view(RESOLVE_MODAL)
    def on_resolve_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        try:
            esc_id = int(view.get("private_metadata", ""))
        except ValueError:
            ack(
                response_action="errors",
                errors={RESOLVE_NOTE_BLOCK: "This form lost its escalation; open it again."},
            )
            return
        values = (view.get("state") or {}).get("values") or {}
        note = str(_field(values, RESOLVE_NOTE_BLOCK, RESOLVE_NOTE_ACTION).get("value") or "")
        picked = _field(values, RESOLVE_NEEDED_BLOCK, RESOLVE_NEEDED_ACTION).get("selected_option") or {}
        needed = str(picked.get("value") or "") if isinstance(picked, dict) else ""
        reason = str(_field(values, RESOLVE_REASON_BLOCK, RESOLVE_REASON_ACTION).get("value") or "")
        if not note.strip():
            ack(response_action="errors", errors={RESOLVE_NOTE_BLOCK: "Say in a line what was done."})
            return
        if needed and needed not in flows.NEEDED_VALUES:
            ack(response_action="errors", errors={RESOLVE_NEEDED_BLOCK: "Pick one of the answers."})
            return
        ack()
        user, team = _who(body)
        flows.resolve(deps, esc_id, user, team, note, needed=needed, needed_reason=reason)
