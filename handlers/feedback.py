"""The feedback loop's listeners: the "Should have escalated" message shortcut and its modal, the
customer's survey buttons (clicked by Slack Connect users of another organisation), and the review's
Needed / Not needed buttons. `ack` answers at once; the flow runs in the `lazy` part (bot/inbox.py).
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.cards import (
    CSAT_ACTION_PATTERN,
    MISSED_CATEGORY_ACTION,
    MISSED_CATEGORY_BLOCK,
    MISSED_MODAL,
    MISSED_REASON_ACTION,
    MISSED_REASON_BLOCK,
    MISSED_SHORTCUT,
    Action,
)
from bot.deps import Deps
from bot.feedback_cards import missed_recorded_view
from bot.flows import csat, missed, review


def _ack(ack: Ack) -> None:
    ack()


def _who(body: dict[str, Any]) -> tuple[str, str]:
    user = body.get("user") or {}
    return str(user.get("id", "")), str(user.get("team_id", ""))


def _value(body: dict[str, Any]) -> str:
    try:
        return str(body["actions"][0].get("value") or "")
    except (KeyError, IndexError, TypeError, AttributeError):
        return ""


def _tell(respond: Respond, text: str) -> None:
    respond(text=text, response_type="ephemeral", replace_original=False)


def _picked(values: dict[str, Any], block: str, action: str) -> dict[str, Any]:
    got = (values.get(block) or {}).get(action) or {}
    return got if isinstance(got, dict) else {}


def register(app: App, deps: Deps) -> None:
    # ------------------------------------------------------------ "Should have escalated"
    def on_shortcut(body: dict[str, Any], client: WebClient) -> None:
        _, team = _who(body)
        view = missed.shortcut_view(
            deps,
            channel=str((body.get("channel") or {}).get("id", "")),
            message=body.get("message") or {},
            user_team=team,
        )
        try:
            client.views_open(trigger_id=body["trigger_id"], view=view)
        except SlackApiError:  # a trigger_id lives 3 s: a replay after a crash finds it expired
            return

    app.shortcut(MISSED_SHORTCUT)(ack=_ack, lazy=[on_shortcut])

    def on_missed_ack(ack: Ack, view: dict[str, Any]) -> None:
        if missed.MissedForm.from_metadata(str(view.get("private_metadata", ""))) is None:
            ack(
                response_action="errors",
                errors={MISSED_REASON_BLOCK: "This form lost its message; open it again."},
            )
        else:  # stored in the inbox before this answer: "recorded" is already true
            ack(response_action="update", view=missed_recorded_view())

    def on_missed_submit(body: dict[str, Any], view: dict[str, Any]) -> None:
        form = missed.MissedForm.from_metadata(str(view.get("private_metadata", "")))
        if form is None:
            return
        values = (view.get("state") or {}).get("values") or {}
        option = _picked(values, MISSED_CATEGORY_BLOCK, MISSED_CATEGORY_ACTION).get("selected_option") or {}
        category = str(option.get("value") or "") if isinstance(option, dict) else ""
        reason = str(_picked(values, MISSED_REASON_BLOCK, MISSED_REASON_ACTION).get("value") or "")
        user, team = _who(body)
        missed.record(deps, form, category=category, reason=reason, user=user, user_team=team)

    app.view(MISSED_MODAL)(ack=on_missed_ack, lazy=[on_missed_submit])

    # ------------------------------------------------------------ the customer's survey
    def on_score(body: dict[str, Any], respond: Respond) -> None:
        user, team = _who(body)
        container = body.get("container") or {}
        result = csat.answer(
            deps,
            value=_value(body),
            user=user,
            user_team=team,
            channel=str(container.get("channel_id", "")),
            message_ts=str(container.get("message_ts", "")),
        )
        if not result.ok:
            _tell(respond, result.message)

    app.action(re.compile(CSAT_ACTION_PATTERN))(ack=_ack, lazy=[on_score])

    # ------------------------------------------------------------ the review's verdicts
    def verdict(needed: str) -> Any:
        def on_verdict(body: dict[str, Any], respond: Respond) -> None:
            user, team = _who(body)
            result = review.verdict(deps, value=_value(body), needed=needed, user=user, user_team=team)
            if not result.ok:
                _tell(respond, result.message)

        return on_verdict

    app.action(Action.REVIEW_NEEDED.value)(ack=_ack, lazy=[verdict(review.VERDICTS["needed"])])
    app.action(Action.REVIEW_NOT_NEEDED.value)(ack=_ack, lazy=[verdict(review.VERDICTS["not_needed"])])
