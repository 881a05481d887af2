"""`/escalations report` through the real entry point: a signed slash command into Bolt, the report
posted as a DM with its chart uploaded through the files upload v2 flow of the local Slack."""

from __future__ import annotations

from datetime import timedelta

from bot.cards import Action
from bot.sandbox.world import World
from storage.models import Escalation
from tests.e2e.helpers import ACME, AGENT, escalations

HUMAN = "This isn't working. I want to talk to a real person please"


def _escalate_claim_resolve(world: World, *, needed: str) -> Escalation:
    cust = world.customers[ACME]
    first = world.driver.user_says(cust.channel, cust.user, "Hi, how do I export my invoices?")
    world.settle()
    world.clock.advance(timedelta(minutes=2))
    world.driver.user_says(cust.channel, cust.user, HUMAN, thread_ts=first.ts)
    world.settle()
    [esc] = escalations(world)
    world.clock.advance(timedelta(minutes=4))
    world.driver.click(AGENT, esc.card_ts, esc.card_channel, Action.CLAIM.value)
    world.settle()
    world.clock.advance(timedelta(minutes=30))
    world.driver.click(AGENT, esc.card_ts, esc.card_channel, Action.RESOLVE.value)
    world.settle()
    view_id = str(world.slack.views[-1]["id"])
    resp = world.driver.submit_view(
        AGENT,
        view_id,
        {"resolution": {"note": "Exported them for the customer"}, "needed": {"needed": needed}},
    )
    assert resp.status_code == 200
    world.settle()
    [esc] = escalations(world)
    return esc


def _dm_messages(world: World, user: str) -> list[dict]:
    channel = world.slack.dm_channel(user)
    return world.slack.messages(channel) if channel else []


def test_report_is_a_dm_with_figures_and_a_chart(world):
    esc = _escalate_claim_resolve(world, needed="no")
    assert esc.needed == "no" and esc.primary_trigger and esc.first_customer_at is not None
    assert (esc.opened_at - esc.first_customer_at) == timedelta(minutes=2)

    resp = world.driver.slash(AGENT, "C0SUPPORT", "/escalations", "report 7d by trigger")
    assert resp.status_code == 200
    world.settle()
    assert any("Building the report" in e.get("text", "") for e in world.slack.ephemerals)
    dms = _dm_messages(world, AGENT)
    [report] = [m for m in dms if m.get("blocks") and "Escalations, last 7 days" in str(m["blocks"])]
    text = str(report["blocks"])
    assert "Escalation rate" in text and "1 of 1 conversations" in text
    assert "Accuracy* 0.0% needed (0 of 1 answered" in text  # the resolver said the AI could have done it
    assert "p50 4m" in text  # pickup: claimed four minutes after it opened
    assert "By trigger" in text
    uploads = [m for m in dms if m.get("upload")]
    assert len(uploads) == 1
    [file_id] = [f["id"] for f in uploads[0]["files"]]
    stored = world.slack.files[file_id]
    assert stored["data"][:8] == b"\x89PNG\r\n\x1a\n"


def test_report_with_no_data_says_so(world):
    world.driver.slash(AGENT, "C0SUPPORT", "/escalations", "report last month")
    world.settle()
    [report] = [m for m in _dm_messages(world, AGENT) if m.get("blocks")]
    assert "Nothing to report" in str(report["blocks"])


def test_report_bad_arguments_are_explained_and_post_nothing(world):
    world.driver.slash(AGENT, "C0SUPPORT", "/escalations", "report fortnight by mood")
    world.settle()
    [answer] = [e for e in world.slack.ephemerals if "Usage" in e.get("text", "")]
    assert "by mood" in answer["text"]
    assert _dm_messages(world, AGENT) == []


def test_public_report_goes_to_the_channel(world):
    _escalate_claim_resolve(world, needed="yes")
    world.driver.slash(AGENT, "C0SUPPORT", "/escalations", "report 30d public")
    world.settle()
    posted = [m for m in world.slack.bot_messages("C0SUPPORT") if "Escalations, last 30 days" in str(m.get("blocks"))]
    assert len(posted) == 1
    assert "100.0% needed (1 of 1 answered" in str(posted[0]["blocks"])


def test_durations_are_stored_when_they_happen_and_a_release_clears_the_pickup(world):
    esc = _escalate_claim_resolve(world, needed="yes")
    # Monday 10:00 in New York (the default policy's hours are open then): all within business hours.
    assert (esc.tte_s, esc.pickup_s, esc.handle_s) == (120.0, 240.0, 1800.0)
    assert esc.pickup_business_s == 240.0

    cust = world.customers[ACME]
    world.driver.user_says(cust.channel, cust.user, "Still broken. I need a human now please", thread_ts=None)
    world.settle()
    [second] = [e for e in escalations(world) if e.id != esc.id]
    world.clock.advance(timedelta(minutes=3))
    world.driver.click(AGENT, second.card_ts, second.card_channel, Action.CLAIM.value)
    world.settle()
    world.clock.advance(timedelta(minutes=1))
    world.driver.click(AGENT, second.card_ts, second.card_channel, Action.RELEASE.value)
    world.settle()
    [second] = [e for e in escalations(world) if e.id == second.id]
    assert second.claimed_at is None and second.pickup_s is None and second.pickup_business_s is None
    world.clock.advance(timedelta(minutes=6))
    world.driver.click("U0BOB", second.card_ts, second.card_channel, Action.CLAIM.value)
    world.settle()
    [second] = [e for e in escalations(world) if e.id == second.id]
    assert second.claimed_by == "U0BOB" and second.pickup_s == 600.0  # from the opening to the claim that stuck


def test_report_footer_points_at_a_command_that_answers_with_the_definitions(world):
    _escalate_claim_resolve(world, needed="yes")
    world.driver.slash(AGENT, "C0SUPPORT", "/escalations", "report 7d")
    world.settle()
    [report] = [m for m in _dm_messages(world, AGENT) if m.get("blocks")]
    footer = report["blocks"][-1]["elements"][0]["text"]
    assert "`/escalations report help`" in footer
    before = len(_dm_messages(world, AGENT))

    resp = world.driver.slash(AGENT, "C0SUPPORT", "/escalations", "report  HELP ")
    assert resp.status_code == 200
    world.settle()
    answers = [e["text"] for e in world.slack.ephemerals if "How the report counts" in e.get("text", "")]
    assert len(answers) == 1
    text = answers[0]
    assert "is not a period" not in text
    for figure in ("Escalation rate", "Accuracy", "Time to escalation", "Pickup", "SLA attainment", "CSAT", "Abandoned"):
        assert f"*{figure}*" in text
    assert len(_dm_messages(world, AGENT)) == before  # no report built for `help`
