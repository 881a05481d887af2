"""The optional LLM summary, end to end against a local OpenAI-compatible stand-in: written off the
request path after the card is posted, fed a masked transcript, and on any failure (slow past the
deadline, 5xx, an answer that is not the JSON asked for) the card keeps Baton's own summary."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from bot.sandbox.llm import LlmStandIn
from tests.e2e.helpers import ACME, escalations

KEY = "sk-test-sandbox-key"
CARD = "4242 4242 4242 4242"


@pytest.fixture
def llm() -> Iterator[LlmStandIn]:
    standin = LlmStandIn(api_key=KEY).start()
    yield standin
    standin.stop()


def _escalate(world) -> tuple[str, dict]:
    cust = world.customers[ACME]
    first = world.driver.user_says(cust.channel, cust.user, f"My card {CARD} was charged twice, refund it")
    world.settle()
    world.driver.user_says(cust.channel, world.ai_user, "Refunds take 5 to 10 days.", thread_ts=first.ts)
    world.settle()
    world.driver.user_says(
        cust.channel, cust.user, "I want to talk to a real person please", thread_ts=first.ts
    )
    world.settle()
    [esc] = escalations(world)
    card = world.slack.message(esc.card_channel, esc.card_ts)
    assert card is not None
    summary = next(
        b["text"]["text"] for b in card["blocks"] if "*Summary*" in b.get("text", {}).get("text", "")
    )
    return summary, card


def test_the_llm_writes_the_summary_from_a_masked_transcript(world_factory, llm):
    world = world_factory(llm=(llm.url, "gpt-test", KEY, 5.0))
    summary, _ = _escalate(world)
    assert "written by an LLM" in summary
    assert "LLM: the customer wants help with: My card [card ending 4242]" in summary
    [request] = llm.requests  # once per escalation, not per message
    assert request["model"] == "gpt-test" and request["temperature"] == 0
    prompt = json.dumps(request["messages"])
    assert CARD not in prompt and "[card ending 4242]" in prompt  # nothing unmasked leaves for the LLM
    assert len(world.slack.calls_to("chat.update")) >= 1  # the card was posted first, then improved
    [esc] = escalations(world)
    assert esc.llm_summary and esc.llm_summary["source"] == "llm"


@pytest.mark.parametrize(
    "breakage",
    ["slow", "500", "not json", "wrong key", "hostile"],
)
def test_any_llm_failure_keeps_batons_own_summary(world_factory, llm, breakage):
    key = KEY
    if breakage == "slow":
        llm.delay = 2.0  # past the 0.3 s deadline
    elif breakage == "500":
        llm.fail_next(500)
    elif breakage == "not json":
        llm.reply = "Sure! The customer is upset."
    elif breakage == "wrong key":
        key = "sk-wrong"
    elif breakage == "hostile":
        llm.reply = json.dumps({"wants": ["<!channel>"], "tried": 3})  # no usable string at all
    world = world_factory(llm=(llm.url, "gpt-test", key, 0.3))
    summary, card = _escalate(world)
    assert "written by Baton from the conversation" in summary
    assert "*Wants:* A charge corrected or refunded" in summary
    [esc] = escalations(world)
    assert esc.status == "open" and not esc.llm_summary
    assert "<!channel>" not in json.dumps(card["blocks"])


def test_the_ai_agents_own_summary_means_no_llm_call(world_factory, llm):
    world = world_factory(llm=(llm.url, "gpt-test", KEY, 5.0))
    cust = world.customers[ACME]
    # a question first (an enterprise account's "export broken" would escalate at once: a real problem on
    # an account that matters), so the AI agent's summary is there before the request for a person
    first = world.driver.user_says(cust.channel, cust.user, "Hi, a question about the export")
    world.settle()
    posted = world.driver.user_says(
        cust.channel, world.ai_user, "Getting a person.", thread_ts=first.ts, deliver=False
    )
    posted.envelope["event"]["metadata"] = {
        "event_type": "ai_reply",
        "event_payload": {"summary": "Export fails at 30 s."},
    }
    world.driver.deliver_event(posted.envelope)
    world.settle()
    world.driver.user_says(
        cust.channel, cust.user, "I want to talk to a real person please", thread_ts=first.ts
    )
    world.settle()
    [esc] = escalations(world)
    card = world.slack.message(esc.card_channel, esc.card_ts)
    assert card is not None and "Export fails at 30 s." in json.dumps(card["blocks"])
    assert llm.requests == []
