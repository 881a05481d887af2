"""The card's Transcript button and the modal's page buttons: ack, then the flow builds the view and
the lazy listener opens it (views.open, with the click's trigger_id) or pages it (views.update)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.cards import Action
from bot.deps import Deps
from bot.flows.transcript import transcript_view
from bot.logs import log_context
from bot.transcript import parse_page_value


def _ack(ack: Ack) -> None:
    ack()


def _action_value(body: dict[str, Any]) -> Any:
    try:
        return body["actions"][0]["value"]
    except (KeyError, IndexError, TypeError):
        return None


def _team(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("team_id", ""))


def register(app: App, deps: Deps) -> None:
    def on_open(body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        value = _action_value(body)
        if not (isinstance(value, str) and value.isascii() and value.isdigit()):
            respond(
                text="That button is not attached to an escalation.",
                response_type="ephemeral",
                replace_original=False,
            )
            return
        with log_context(escalation_id=int(value)):
            result, view = transcript_view(deps, int(value), _team(body))
        if view is None:
            respond(text=result.message, response_type="ephemeral", replace_original=False)
            return
        try:
            client.views_open(trigger_id=body["trigger_id"], view=view)
        except SlackApiError as exc:  # a trigger_id lives 3 s: a replay after a crash finds it expired
            respond(
                text=f"Could not open the transcript ({exc.response.get('error')}); click Transcript again.",
                response_type="ephemeral",
                replace_original=False,
            )

    app.action(Action.TRANSCRIPT.value)(ack=_ack, lazy=[on_open])

    def on_page(body: dict[str, Any], client: WebClient) -> None:
        parsed = parse_page_value(_action_value(body))
        view = body.get("view") or {}
        if parsed is None or not isinstance(view, dict) or not view.get("id"):
            return
        esc_id, page = parsed
        with log_context(escalation_id=esc_id):
            _, new = transcript_view(deps, esc_id, _team(body), page)
        if new is None:
            return
        try:  # the hash makes a stale double click fail instead of overwriting a newer page
            client.views_update(view_id=str(view["id"]), hash=str(view.get("hash") or "") or None, view=new)
        except SlackApiError:
            return  # hash_conflict or a closed modal: the person sees the page they have

    app.action(Action.TRANSCRIPT_OLDER.value)(ack=_ack, lazy=[on_page])
    app.action(Action.TRANSCRIPT_NEWER.value)(ack=_ack, lazy=[on_page])
