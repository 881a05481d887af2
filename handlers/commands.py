"""The /escalations slash command: acked at once, answered through response_url by the lazy part."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.deps import Deps
from bot.flows import commands as flows


def _ack(ack: Ack) -> None:
    ack()


def register(app: App, deps: Deps) -> None:
    def on_escalations(command: dict[str, Any], respond: Respond) -> None:
        answer = flows.escalations_command(
            deps,
            text=str(command.get("text", "")),
            user_team=str(command.get("team_id", "")),
            user=str(command.get("user_id", "")),
            channel=str(command.get("channel_id", "")),
        )
        respond(response_type="ephemeral", text=answer["text"], blocks=answer.get("blocks"))
        follow_up = answer.get(flows.FOLLOW_UP)
        if follow_up is not None:
            follow_up()

    app.command("/escalations")(ack=_ack, lazy=[on_escalations])
