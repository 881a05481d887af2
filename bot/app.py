"""create_app: the Bolt App with Baton's listeners, given already-built dependencies.

The app is dispatched by the inbox (bot/inbox.py), never handed a raw HTTP request: signatures are
verified before a request is stored (bot/intake.py), so Bolt's own check is off, and a stored request
may be processed long after its signature's five minutes. `process_before_response` makes a listener
run in the thread that dispatches it: an inbox worker for events, the request's own thread for the
`ack` part of an interaction (its `lazy` part goes to the interactive lane).
"""

from __future__ import annotations

import logging

from slack_bolt import App

import handlers
from bot.deps import Deps


def create_app(deps: Deps) -> App:
    app = App(
        client=deps.slack,
        request_verification_enabled=False,
        process_before_response=True,
        logger=logging.getLogger("baton.bolt"),
    )
    handlers.register(app, deps)
    return app
