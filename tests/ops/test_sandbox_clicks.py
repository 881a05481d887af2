"""`baton serve --sandbox`'s control API clicks every card button (the in-process Sandbox, its real app,
HTTP server and local Slack): claim, note, take over, hand off, resolve, reopen, snooze, with their
forms filled in; refusals come back as Baton said them. The CLI offers the same buttons."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from bot.commands import sandbox as sandbox_cli
from bot.sandbox_serve import ACTIONS, Sandbox, SandboxError
from storage import repo
from storage.db import session_scope
from storage.models import Escalation


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    box = Sandbox(port=_free_port(), sweep_seconds=3600.0).start()
    try:
        yield box
    finally:
        box.stop()


def escalations(box: Sandbox) -> list[Escalation]:
    with session_scope(box.world.deps.db) as session:
        return list(session.exec(repo.select(Escalation)))


def kinds(box: Sandbox, esc_id: int | None) -> list[str]:
    with session_scope(box.world.deps.db) as session:
        return [e.kind for e in repo.timeline(session, esc_id or 0)]


def test_the_cli_offers_every_button_the_sandbox_clicks():
    assert set(sandbox_cli.CLICKS) == set(ACTIONS)


def test_every_card_button_through_the_control_api(sandbox):
    url = sandbox.control.url
    assert httpx.post(f"{url}/api/say", json={"text": "I want to talk to a human, please"}, timeout=30).json()["ok"]

    def click(**body: str) -> dict:
        return httpx.post(f"{url}/api/click", json=body, timeout=60).json()

    assert click(action="claim")["by"] == "U0CAROL"
    assert click(action="note", note="Checking the logs")["ok"]
    refused = click(action="release", by="U0DANA")  # not the claimer: Baton's answer comes back
    assert "Only <@U0CAROL>" in refused["told"]
    assert click(action="take_over")["by"] != "U0CAROL"
    [esc] = escalations(sandbox)
    assert esc.claimed_by != "U0CAROL" and "taken_over" in kinds(sandbox, esc.id)
    bad = click(action="hand_off", team="nowhere")
    assert not bad["ok"] and "hand_off needs a team" in bad["error"]
    handed = click(action="hand_off", by=esc.claimed_by, team="billing", note="A refund question")
    assert handed["ok"], handed
    [esc] = escalations(sandbox)
    assert esc.team == "billing" and esc.status == "open" and "note_added" in kinds(sandbox, esc.id)
    assert click(action="claim")["by"] == "U0ALICE"  # billing's agent, on billing's card
    assert click(action="resolve", note="Refunded")["ok"]
    [esc] = escalations(sandbox)
    assert esc.status == "resolved" and esc.resolution_note == "Refunded"
    assert click(action="reopen")["ok"]
    [esc] = escalations(sandbox)
    assert esc.status == "claimed" and "reopened" in kinds(sandbox, esc.id)


def test_snooze_takes_a_duration_from_now(sandbox):
    sandbox.say("I want to cancel my subscription, it's too expensive for us", "globex")
    [esc] = escalations(sandbox)
    assert esc.urgency == "queued", esc.urgency
    with pytest.raises(SandboxError, match="until:"):
        sandbox.click("snooze", until="soon")
    before = sandbox.world.clock.now()
    sandbox.click("snooze", until="2h")
    [esc] = escalations(sandbox)
    assert esc.status == "snoozed" and esc.snoozed_until is not None
    assert abs((esc.snoozed_until - before).total_seconds() - 7200) < 600  # real time passes meanwhile
    [card] = [m for m in sandbox.messages() if m["channel"] == esc.card_channel and m["ts"] == esc.card_ts]
    assert card["buttons"] == ["claim", "note"]  # a snoozed card: Claim and Add note only
