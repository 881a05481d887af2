"""create_app: the Bolt App with Baton's listeners, given already-built dependencies."""

from __future__ import annotations

import logging
from concurrent.futures import Executor

from slack_bolt import App

import handlers
from bot.deps import Deps


def create_app(deps: Deps, *, signing_secret: str, executor: Executor | None = None) -> App:
    app = App(
        client=deps.slack,
        signing_secret=signing_secret,
        # Bolt's default pool has 5 threads shared by every listener: slow listeners would starve acks.
        listener_executor=executor,
        logger=logging.getLogger("baton.bolt"),
    )
    handlers.register(app, deps)
    return app
