"""The surge card's buttons (Claim all, Send status update) and the status update's form (thin: ack, parse,
one flow, answer)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.cards import Action
from bot.deps import Deps
from bot.flows import surge
from bot.surge_cards import SURGE_STATUS_ACTION, SURGE_STATUS_BLOCK, SURGE_STATUS_MODAL
from handlers.actions import _ack, _escalation_id, _field, _tell, _who

NOT_ATTACHED = "This button is not attached to a surge any more."


def _surge_of(view: dict[str, Any]) -> int | None:
    try:
        return int(view.get("private_metadata", ""))
    except (TypeError, ValueError):
        return None


def _text(view: dict[str, Any]) -> str:
    values = (view.get("state") or {}).get("values") or {}
    return str(_field(values, SURGE_STATUS_BLOCK, SURGE_STATUS_ACTION).get("value") or "")


def register(app: App, deps: Deps) -> None:
    def on_claim_all(body: dict[str, Any], respond: Respond) -> None:
        surge_id = _escalation_id(body)  # the button's value is the surge id
        user, team = _who(body)
        if surge_id is None:
            return _tell(respond, NOT_ATTACHED)
        _tell(respond, surge.claim_all(deps, surge_id, user, team).message)

    app.action(Action.SURGE_CLAIM.value)(ack=_ack, lazy=[on_claim_all])

    def on_status(body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        surge_id = _escalation_id(body)
        _, team = _who(body)
        if surge_id is None:
            return _tell(respond, NOT_ATTACHED)
        result, view = surge.status_modal(deps, surge_id, team)
        if view is None:
            return _tell(respond, result.message)
        try:
            client.views_open(trigger_id=body["trigger_id"], view=view)
        except SlackApiError as exc:  # a trigger_id lives 3 s
            _tell(respond, f"Could not open the form ({exc.response.get('error')}); click the button again.")

    app.action(Action.SURGE_STATUS.value)(ack=_ack, lazy=[on_status])

    def errors(view: dict[str, Any]) -> dict[str, str]:
        if _surge_of(view) is None:
            return {SURGE_STATUS_BLOCK: "This form lost its surge; open it again."}
        if not _text(view).strip():
            return {SURGE_STATUS_BLOCK: "Write the status update first."}
        return {}

    def on_ack(ack: Ack, view: dict[str, Any]) -> None:
        found = errors(view)
        if found:
            ack(response_action="errors", errors=found)
        else:
            ack()

    def on_submit(body: dict[str, Any], view: dict[str, Any]) -> None:
        if errors(view):
            return
        surge_id = _surge_of(view)
        assert surge_id is not None
        user, team = _who(body)
        surge.send_status(deps, surge_id, user, team, _text(view), view_id=str(view.get("id", "")))

    app.view(SURGE_STATUS_MODAL)(ack=on_ack, lazy=[on_submit])
