"""The card builder stays within Block Kit limits whatever it is given, and neutralises mrkdwn."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.card_modals import build_resolve_modal
from bot.cards import CardView, TranscriptLine, build_card, cut, escape
from bot.domain.model import Evidence, FiredTrigger
from bot.sandbox.blockkit import validate_blocks

T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def view(**kw) -> CardView:
    base = dict(
        escalation_id=7,
        status="open",
        urgency="immediate",
        category="billing",
        team="billing",
        account_id="acme",
        account_name="Acme Corp",
        customer="U0CUST",
        opened_at=T0,
        triggers=[
            FiredTrigger(
                "human_request",
                "behavioral",
                "immediate",
                "Customer asked for a human",
                evidence=(Evidence(quote="talk to a person", message_ref="1.0"),),
            )
        ],
        transcript=[TranscriptLine("customer", "U0CUST", "hello", T0)],
        total_messages=1,
    )
    base.update(kw)
    return CardView(**base)


def mrkdwn_texts(node) -> list[str]:
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") == "mrkdwn" else []
        return own + [t for v in node.values() for t in mrkdwn_texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in mrkdwn_texts(v)]
    return []


def test_escape_neutralises_mentions_and_links():
    assert (
        escape("<!channel> <@U1> <http://x|y> & co")
        == "&lt;!channel&gt; &lt;@U1&gt; &lt;http://x|y&gt; &amp; co"
    )


def test_cut_never_splits_an_entity():
    text = "a" * 8 + "&amp;"
    assert cut(text, 10) == "a" * 8 + "…"
    assert len(cut("x" * 5000, 100)) == 100


@pytest.mark.parametrize("status", ["open", "claimed", "resolved"])
def test_every_state_is_valid_block_kit(status):
    v = view(
        status=status,
        claimed_by="U0ALICE" if status != "open" else "",
        claimed_at=T0 + timedelta(minutes=4),
        resolved_by="U0ALICE",
        resolved_at=T0 + timedelta(hours=1),
        resolution_note="done",
    )
    card = build_card(v)
    assert validate_blocks(card["blocks"], "message") == []
    body = json.dumps(card)
    assert ("baton_claim" in body) == (status == "open")
    assert ("baton_resolve" in body) == (status == "claimed")
    if status == "claimed":
        assert "4m" in body


def test_hostile_input_stays_within_limits():
    huge = "<!here> " + "😀" * 3000 + "y" * 40_000
    trig = [
        FiredTrigger(
            f"t{i}", "contextual", "queued", huge, evidence=(Evidence(quote=huge, score=0.1, threshold=0.5),)
        )
        for i in range(40)
    ]
    lines = [TranscriptLine("customer", huge, huge, T0) for _ in range(300)]
    card = build_card(
        view(
            account_name=huge,
            customer=huge,
            triggers=trig,
            transcript=lines,
            total_messages=300,
            owner=huge,
            tier="enterprise",
            mrr=1e9,
            renewal_date=huge,
            missing=[huge] * 5,
            extra={
                "recent_charges": [{"summary": huge}] * 5,
                "open_bugs": [{"identifier": huge, "title": huge}] * 5,
            },
        )
    )
    assert validate_blocks(card["blocks"], "message") == []
    assert len(card["text"]) <= 4000
    assert all("<!here>" not in t for t in mrkdwn_texts(card["blocks"]))  # plain_text is never parsed
    assert "<!here>" not in card["text"]
    assert "+37 more reasons" in json.dumps(card)
    assert "292 earlier messages" in json.dumps(card)


def test_resolve_modal_is_valid():
    modal = build_resolve_modal(7, "<!channel> " + "x" * 5000)
    assert validate_blocks(modal["blocks"], "modal") == []
    assert len(modal["title"]["text"]) <= 24


def test_the_card_says_which_language_the_customer_writes_in():
    texts = mrkdwn_texts(build_card(view(language="Spanish"))["blocks"])
    assert any("Customer writes in *Spanish*" in t for t in texts)
    assert not any("Customer writes in" in t for t in mrkdwn_texts(build_card(view())["blocks"]))


def test_the_card_flags_an_ai_that_kept_answering_after_the_handoff():
    body = build_card(view(ai_after_handoff=2))
    assert validate_blocks(body["blocks"], "message") == []
    assert any(
        "The AI kept answering after the handoff* (2 messages)" in t for t in mrkdwn_texts(body["blocks"])
    )
    assert not any("kept answering" in t for t in mrkdwn_texts(build_card(view())["blocks"]))


def test_a_model_label_shows_its_probability_and_the_sentence_that_drove_it():
    safety = FiredTrigger(
        "model_safety",
        "contextual",
        "immediate",
        "Customer may be in danger or distress",
        category="safety",
        evidence=(
            Evidence(quote="I can't go on like this", score=0.91, threshold=0.5, detail="safety 0.91 ≥ 0.50"),
        ),
    )
    human = FiredTrigger(
        "model_human_request",
        "behavioral",
        "immediate",
        "Customer asked for a human",
        evidence=(
            Evidence(
                quote="is a real human reading this?",
                score=0.97,
                threshold=0.5,
                detail="human_request 0.97 ≥ 0.50",
            ),
        ),
    )
    card = build_card(view(category="safety", triggers=[safety, human]))
    validate_blocks(card["blocks"])
    why = next(t for t in mrkdwn_texts(card) if t.startswith("*Why Baton escalated*"))
    lines = why.splitlines()
    assert lines[1].startswith("• *Customer may be in danger or distress*")
    assert lines[2].strip() == "safety 0.91 ≥ 0.50 — “I can't go on like this”"
    assert "human_request 0.97 ≥ 0.50 — “is a real human reading this?”" in why
