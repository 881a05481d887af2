"""End to end: the card an agent reads in 30 seconds. Signed events into the Bolt app, the card in the
local Slack (which rejects invalid Block Kit), the Transcript button opening a paged modal with
views.open and paging it with views.update, and personal data masked on both."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from bot.cards import Action
from bot.sandbox.blockkit import validate_blocks, validate_view
from tests.e2e.helpers import ACME, AGENT, escalations

CARD_NUMBER = "4242 4242 4242 4242"


def _card(world) -> tuple[Any, dict[str, Any]]:
    [esc] = escalations(world)
    msg = world.slack.message(esc.card_channel, esc.card_ts)
    assert msg is not None
    assert validate_blocks(msg["blocks"]) == []
    return esc, msg


def _ai_says(world, channel: str, thread_ts: str, text: str, payload: dict[str, Any] | None = None):
    """The AI agent's bot replies in the thread; its message metadata may carry its own summary."""
    posted = world.driver.user_says(channel, world.ai_user, text, thread_ts=thread_ts, deliver=False)
    envelope = posted.envelope
    if payload is not None:
        envelope["event"]["metadata"] = {"event_type": "ai_reply", "event_payload": payload}
    return world.driver.deliver_event(envelope)


def test_the_card_leads_with_a_summary_masks_card_numbers_and_shows_the_trajectory(world):
    cust = world.customers[ACME]
    first = world.driver.user_says(
        cust.channel, cust.user, f"I was charged twice on my card {CARD_NUMBER}, can you refund one?"
    )
    world.settle()
    _ai_says(world, cust.channel, first.ts, "I can see one charge. Refunds take 5 to 10 days.")
    world.settle()
    world.clock.advance(timedelta(minutes=1))
    world.driver.user_says(
        cust.channel,
        cust.user,
        "That did not help, it is still wrong and this is awful. I want to talk to a real person now",
        thread_ts=first.ts,
    )
    world.settle()

    esc, msg = _card(world)
    blocks = msg["blocks"]
    summary = next(
        b for b in blocks if b["type"] == "section" and "*Summary*" in b.get("text", {}).get("text", "")
    )
    assert blocks.index(summary) <= 2  # right under the header and status line
    text = summary["text"]["text"]
    assert "written by Baton" in text
    assert "*Wants:*" in text and "*AI tried:*" in text and "*Failed:*" in text and "*Next:*" in text
    assert "1 answer; last: “I can see one charge.”" in text
    body = json.dumps(msg)
    assert CARD_NUMBER not in body and "4242424242424242" not in body
    assert "[card ending 4242]" in body
    fields = next(b for b in blocks if b["type"] == "section" and b.get("fields"))["fields"]
    sentiment = next(f["text"] for f in fields if f["text"].startswith("*Sentiment*"))
    assert "→" in sentiment  # two customer turns: a trajectory, not one number

    # The Transcript button opens the whole conversation in a modal, masked the same way.
    resp = world.driver.click(AGENT, esc.card_ts, esc.card_channel, Action.TRANSCRIPT.value)
    assert resp.status_code == 200
    world.settle()
    [view] = world.slack.views
    assert validate_view(view) == []
    shown = json.dumps(view["blocks"])
    assert "charged twice" in shown and "Refunds take 5 to 10 days" in shown and "real person" in shown
    assert CARD_NUMBER not in shown and "[card ending 4242]" in shown
    assert world.slack.calls_to("views.open")


def test_the_ai_agents_own_summary_from_message_metadata_wins(world):
    cust = world.customers[ACME]
    first = world.driver.user_says(cust.channel, cust.user, "My export keeps failing")
    world.settle()
    agent_summary = {
        "wants": "Their nightly CSV export fixed <!channel>",
        "tried": "Re-ran the export twice; cleared the cache",
        "failed": "Export times out after 30 s",
        "next": "Check the export worker logs for account acme",
    }
    _ai_says(
        world,
        cust.channel,
        first.ts,
        "Let me get you a person.",
        {"summary": agent_summary, "confidence": 0.3},
    )
    world.settle()
    world.driver.user_says(
        cust.channel, cust.user, "I want to talk to a real person please", thread_ts=first.ts
    )
    world.settle()

    _, msg = _card(world)
    text = next(b["text"]["text"] for b in msg["blocks"] if "*Summary*" in b.get("text", {}).get("text", ""))
    assert "from the AI agent" in text
    assert "Re-ran the export twice" in text and "Check the export worker logs" in text
    assert "<!channel>" not in json.dumps(msg) and "&lt;!channel&gt;" in text  # shown, never a ping


def test_a_long_hostile_transcript_pages_within_slacks_limits(world):
    cust = world.customers[ACME]
    first = world.driver.user_says(cust.channel, cust.user, "I want to talk to a real person please")
    world.settle()
    hostile = ("<!channel> <@U0ALICE> ```*bold* _it_ ~x~ `code` &amp; <http://evil|click> ünï 💥 " * 150)[
        :11_000
    ]
    for _ in range(22):
        world.driver.user_says(cust.channel, cust.user, hostile, thread_ts=first.ts)
    world.settle()

    esc, msg = _card(world)  # the card itself stayed valid (the local Slack rejects invalid blocks)
    assert "<!channel>" not in json.dumps(msg["blocks"])
    world.driver.click(AGENT, esc.card_ts, esc.card_channel, Action.TRANSCRIPT.value)
    world.settle()
    [view] = world.slack.views
    assert validate_view(view) == [] and len(view["blocks"]) <= 100
    assert "<!channel>" not in json.dumps(view["blocks"])
    context = view["blocks"][0]["elements"][0]["text"]
    assert "page 1 of" in context and "of 23" in context

    pages = int(context.split("page 1 of ")[1].split(" ")[0])
    seen = [context]
    for _ in range(pages - 1):
        resp = world.driver.click_in_view(AGENT, view["id"], Action.TRANSCRIPT_NEWER.value)
        assert resp.status_code == 200
        world.settle()
        view = world.slack.view(view["id"])
        assert view is not None and validate_view(view) == []
        seen.append(view["blocks"][0]["elements"][0]["text"])
    assert f"page {pages} of {pages}" in seen[-1] and "messages" in seen[-1] and "of 23" in seen[-1]
    assert len(world.slack.calls_to("views.update")) == pages - 1
    # the last page pages back, never forward
    ids = [e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert ids == [Action.TRANSCRIPT_OLDER.value]
    world.driver.click_in_view(AGENT, view["id"], Action.TRANSCRIPT_OLDER.value)
    world.settle()
    back = world.slack.view(view["id"])
    assert back is not None and f"page {pages - 1} of {pages}" in back["blocks"][0]["elements"][0]["text"]


def test_a_customer_cannot_open_the_transcript(world):
    cust = world.customers[ACME]
    world.driver.user_says(cust.channel, cust.user, "I want to talk to a real person please")
    world.settle()
    esc, _ = _card(world)
    # Slack Connect: the customer can click the bot's buttons in a shared channel
    resp = world.driver.click(cust.user, esc.card_ts, esc.card_channel, Action.TRANSCRIPT.value)
    assert resp.status_code == 200
    world.settle()
    assert world.slack.views == []
    assert any("only the support team" in e.get("text", "") for e in world.slack.ephemerals)


def test_an_expired_trigger_tells_the_agent_to_click_again(world):
    cust = world.customers[ACME]
    world.driver.user_says(cust.channel, cust.user, "I want to talk to a real person please")
    world.settle()
    esc, _ = _card(world)
    world.slack.fail_next("views.open", error="expired_trigger_id")  # the click was replayed too late
    world.driver.click(AGENT, esc.card_ts, esc.card_channel, Action.TRANSCRIPT.value)
    world.settle()
    assert world.slack.views == []
    assert any("click Transcript again" in e.get("text", "") for e in world.slack.ephemerals)
