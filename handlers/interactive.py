"""What the interactive listeners share (buttons and forms: handlers/actions.py, card_actions.py,
surge.py): reading who clicked and what, answering the clicker, opening a form, and the two common
listeners: a button that runs one flow (`button`) or opens a form (`form`), and a form's submission
(`submission`).

As Bolt splits work for a fast answer: `ack` answers Slack at once (with a form's validation errors
when there are any); the `lazy` part runs the flow on the inbox's interactive lane, from the stored
request, and again from the inbox if it did not finish.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.cards import Action
from bot.deps import Deps
from bot.flows.claim import ClickResult
from bot.logs import log_context

NOT_ATTACHED = "That button is not attached to an escalation."
ClickFlow = Callable[[Deps, int, str, str], ClickResult]  # (deps, escalation id, user, user's team)
# ... a button that opens a form: the refusal, or the form to open
FormFlow = Callable[[Deps, int, str, str], tuple[ClickResult, dict[str, Any] | None]]
Errors = Callable[[dict[str, Any]], dict[str, str]]  # a form's view -> {block id: what is wrong}


def who(body: dict[str, Any]) -> tuple[str, str]:
    """The clicker's user id and team id."""
    user = body.get("user") or {}
    return str(user.get("id", "")), str(user.get("team_id", ""))


def button_id(body: dict[str, Any]) -> int | None:
    """The id a button carries as its value (an escalation's, or a surge's), None when it is not one."""
    try:
        return int(body["actions"][0]["value"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def form_id(view: dict[str, Any]) -> int | None:
    """The id a form keeps in its private metadata, None when it lost it."""
    try:
        return int(view.get("private_metadata", ""))
    except (TypeError, ValueError):
        return None


def values(view: dict[str, Any]) -> dict[str, Any]:
    return (view.get("state") or {}).get("values") or {}


def field(values: dict[str, Any], block: str, action: str) -> dict[str, Any]:
    got = (values.get(block) or {}).get(action) or {}
    return got if isinstance(got, dict) else {}


def tell(respond: Respond, text: str) -> None:
    """An ephemeral answer through response_url: it reaches the clicker even if they are not a channel member."""
    respond(text=text, response_type="ephemeral", replace_original=False)


def ack_only(ack: Ack) -> None:
    ack()


def open_form(
    client: WebClient, respond: Respond, body: dict[str, Any], view: dict[str, Any], *, button: str = "the button"
) -> None:
    try:
        client.views_open(trigger_id=body["trigger_id"], view=view)
    except SlackApiError as exc:  # a trigger_id lives 3 s: a replay after a crash finds it expired
        tell(respond, f"Could not open the form ({exc.response.get('error')}); click {button} again.")


def button(app: App, deps: Deps, action: Action, flow: ClickFlow) -> None:
    """A button that runs one flow on the escalation it carries; a refusal is told to the clicker."""

    def on_click(body: dict[str, Any], respond: Respond) -> None:
        esc_id = button_id(body)
        user, team = who(body)
        if esc_id is None:
            return tell(respond, NOT_ATTACHED)
        with log_context(escalation_id=esc_id):
            result = flow(deps, esc_id, user, team)
        if not result.ok:
            tell(respond, result.message)

    app.action(action.value)(ack=ack_only, lazy=[on_click])


def form(app: App, deps: Deps, action: Action, flow: FormFlow, *, label: str = "the button") -> None:
    """A button that opens a form for the escalation it carries (`label`: the button, as the clicker is
    asked to click it again when the form could not be opened); a refusal is told to the clicker."""

    def on_click(body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        esc_id = button_id(body)
        user, team = who(body)
        if esc_id is None:
            return tell(respond, NOT_ATTACHED)
        result, view = flow(deps, esc_id, user, team)
        if view is None:
            return tell(respond, result.message)
        open_form(client, respond, body, view, button=label)

    app.action(action.value)(ack=ack_only, lazy=[on_click])


def submission(app: App, callback: str, errors: Errors, run: Callable[[dict[str, Any], str, str], Any]) -> None:
    """A form: `ack` answers with its errors, if any; otherwise the lazy part runs `run(view, user, team)`."""

    def on_ack(ack: Ack, view: dict[str, Any]) -> None:
        found = errors(view)
        if found:
            ack(response_action="errors", errors=found)
        else:
            ack()

    def on_submit(body: dict[str, Any], view: dict[str, Any]) -> None:
        if errors(view):
            return  # answered with the errors already
        user, team = who(body)
        run(view, user, team)

    app.view(callback)(ack=on_ack, lazy=[on_submit])
