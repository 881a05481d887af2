"""`/escalations gaps` through the real entry point: a signed slash command into Bolt, answered
with Block Kit through response_url by the local Slack."""

from __future__ import annotations

from datetime import timedelta

from bot.sandbox.world import World
from tests.e2e.helpers import ACCOUNTS, ACME, AGENT, escalations

MORE = [
    *ACCOUNTS,
    {"id": "globex", "name": "Globex", "tier": "self-serve", "channel": "C0GLOBEX"},
    {"id": "hooli", "name": "Hooli", "tier": "mid-market", "channel": "C0HOOLI"},
]


def _ask(world: World, account: str, question: str, then: str) -> None:
    cust = world.customers[account]
    first = world.driver.user_says(cust.channel, cust.user, question)
    world.settle()
    world.clock.advance(timedelta(minutes=2))
    world.driver.user_says(cust.channel, cust.user, then, thread_ts=first.ts)
    world.settle()


def _answers(world: World) -> list[dict]:
    return [e for e in world.slack.ephemerals if "Knowledge gaps" in str(e.get("blocks"))]


def test_gaps_lists_the_topics_the_ai_failed_on_with_the_trend(world_factory):
    world = world_factory(accounts=MORE)
    _ask(world, ACME, "How do I export my invoices as PDF?", "This is not helping.")
    world.clock.advance(timedelta(days=8))  # the one above is in the period before
    _ask(world, "initech", "Where can I download my invoices as a PDF file?", "This is not helping at all")
    cust = world.customers["globex"]
    world.driver.user_says(cust.channel, cust.user, "Can I export invoices to CSV? This is not helping")
    world.settle()
    world.clock.advance(timedelta(minutes=5))
    cust = world.customers["hooli"]
    world.driver.user_says(cust.channel, cust.user, "I want to talk to a real person about my contract renewal")
    world.settle()
    assert len(escalations(world)) == 4

    resp = world.driver.slash(AGENT, "C0SUPPORT", "/escalations", "gaps 7d")
    assert resp.status_code == 200
    world.settle()
    [answer] = _answers(world)
    text = str(answer["blocks"])
    assert "Knowledge gaps, last 7 days" in text
    assert "*2* of 3 escalations were opened because the AI failed" in text
    assert "2 escalations · :small_red_triangle: +1 (+100%) vs before · not_helping ×2" in text
    assert "Where can I download my invoices as a PDF file?" in text and "contract renewal" not in text
    assert answer["text"].startswith("Knowledge gaps, last 7 days: 2 of 3 escalations")


def test_gaps_with_no_data_and_bad_arguments(world):
    world.driver.slash(AGENT, "C0SUPPORT", "/escalations", "gaps")
    world.settle()
    [answer] = _answers(world)
    assert "No knowledge gaps" in str(answer["blocks"]) and "0 escalations in all" in str(answer["blocks"])
    world.driver.slash(AGENT, "C0SUPPORT", "/escalations", "gaps fortnight")
    world.settle()
    [usage] = [e for e in world.slack.ephemerals if "Usage: `/escalations gaps" in e.get("text", "")]
    assert "fortnight" in usage["text"]
