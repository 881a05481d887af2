"""Thin Slack listeners: ack, parse, call one flow, answer. No SQL and no business rules here."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps
from handlers import actions, card_actions, commands, events, feedback, surge, transcript


def register(app: App, deps: Deps) -> None:
    events.register(app, deps)
    actions.register(app, deps)
    card_actions.register(app, deps)
    commands.register(app, deps)
    transcript.register(app, deps)
    feedback.register(app, deps)
    surge.register(app, deps)
