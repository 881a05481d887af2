"""The card's summary, billing lines, sentiment trajectory and the transcript modal: readable, and within
every Block Kit limit whatever the input (huge, unicode, mrkdwn injection)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.card_summary import billing_lines, charge_line, money, summary_block
from bot.cards import Action, CardView, TranscriptLine, build_card
from bot.domain.model import Evidence, FiredTrigger
from bot.domain.summary import Summary, SummarySource
from bot.sandbox.blockkit import validate_blocks, validate_view
from bot.transcript import build_transcript_view, paginate, parse_page_value

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
HOSTILE = (
    "<!channel> <!here> <@U0ALICE> <#C0SECRET> ```*bold* _it_ ~s~ `x` &amp; <http://evil|click> ünï 💥\n> q "
)


def _view(**kw) -> CardView:
    base = dict(
        escalation_id=7,
        status="open",
        urgency="immediate",
        category="billing",
        team="billing",
        account_id="acme",
        account_name="Acme",
        customer="U0CUST",
        opened_at=NOW,
    )
    base.update(kw)
    return CardView(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "charge, line",
    [
        (
            {
                "amount": 20.0,
                "currency": "usd",
                "status": "succeeded",
                "disputed": True,
                "created": "2026-11-03T10:00:00+00:00",
            },
            "$20.00 paid 3 Nov · disputed",
        ),
        (
            {"amount": 1250.5, "currency": "eur", "status": "failed", "created": "2025-12-30T10:00:00Z"},
            "€1,250.50 failed 30 Dec 2025",
        ),
        (
            {"amount": 3000, "currency": "jpy", "status": "succeeded", "refunded": True},
            "¥3,000 paid · refunded",
        ),
        ({"amount": 9.99, "currency": "chf", "status": "pending"}, "9.99 CHF pending"),
        ({"amount": "lots", "status": "weird_status", "created": "not a date"}, "? weird_status"),
        ({}, "? charged"),
    ],
)
def test_charge_lines_read_like_a_person_wrote_them(charge, line):
    assert charge_line(charge, NOW) == line


def test_billing_lines_skip_junk_and_escape():
    lines = billing_lines(
        ["not a charge", {"amount": 1, "currency": "<b>", "status": "<!channel>"}, {"amount": 2}], NOW
    )
    assert lines == ["1.00 &lt;B&gt; &lt;!channel&gt;", "$2.00 charged"]
    assert money(float("nan"), "usd") == "?" and money(-5, "gbp") == "-£5.00"


def test_the_card_shows_billing_lines_and_a_trajectory_not_dicts():
    extra = {
        "recent_charges": [
            {
                "id": "ch_1",
                "amount": 20.0,
                "currency": "usd",
                "status": "succeeded",
                "disputed": True,
                "refunded": False,
                "created": "2026-11-03T00:00:00+00:00",
            }
        ]
    }
    body = build_card(_view(extra=extra, sentiments=[-0.1, -0.5, -0.8], sentiment=-0.8))
    fields = json.dumps(body["blocks"][2]["fields"], ensure_ascii=False)
    assert (
        "$20.00 paid 3 Nov · disputed" in fields
        and "ch_1" not in fields
        and "{" not in fields.replace('{"', "")
    )
    assert "−0.1 → −0.5 → −0.8 (worsening)" in fields


def test_summary_block_escapes_and_labels_its_source():
    block = summary_block(Summary(wants=HOSTILE, next="call them", source=SummarySource.AI_AGENT))
    assert block is not None
    text = block["text"]["text"]
    assert text.startswith("*Summary* _(from the AI agent)_")
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text and "<@U0ALICE>" not in text
    assert "*Next:* call them" in text and "AI tried" not in text  # empty parts are left out
    assert summary_block(None) is None and summary_block(Summary()) is None


def test_a_card_of_hostile_input_stays_within_every_limit():
    huge = HOSTILE * 3000  # ~240,000 characters
    trig = FiredTrigger(
        "human_request", "behavioral", "immediate", huge, evidence=(Evidence(quote=huge, detail=huge),)
    )
    summary = Summary(wants=huge, tried=huge, failed=huge, next=huge, text=huge, source=SummarySource.LLM)
    lines = [TranscriptLine("customer", huge, huge, NOW + timedelta(seconds=i)) for i in range(30)]
    charges = [{"amount": 1e300, "currency": huge, "status": huge, "created": huge}] * 10
    for status in ("open", "claimed", "resolved"):
        body = build_card(
            _view(
                status=status,
                account_name=huge,
                customer=huge,
                team=huge,
                triggers=[trig] * 5,
                transcript=lines,
                total_messages=10_000,
                summary=summary,
                sentiments=[-1.0] * 10_000,
                extra={"recent_charges": charges, "open_bugs": [{"identifier": huge, "title": huge}] * 5},
                tier="enterprise",
                owner=huge,
                resolution_note=huge,
                sla_note=huge,
                language=huge,
                prefer_agent=huge,
            )
        )
        assert validate_blocks(body["blocks"]) == [], status
        assert len(body["text"]) <= 4000
        dumped = json.dumps([body["text"], *_mrkdwn_texts(body["blocks"])])  # plain_text is never parsed
        for injected in ("<!channel>", "<!here>", "<@U0ALICE>", "<#C0SECRET>", "<http://evil|click>"):
            assert injected not in dumped
        ids = [e["action_id"] for b in body["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert Action.TRANSCRIPT.value in ids


def _mrkdwn_texts(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") == "mrkdwn" else []
        return own + [t for v in node.values() for t in _mrkdwn_texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in _mrkdwn_texts(v)]
    return []


def _lines(n: int, size: int, text: str = "x") -> list[TranscriptLine]:
    return [
        TranscriptLine(
            "customer" if i % 2 else "ai", "U0CUST", (text * size)[:size], NOW + timedelta(minutes=i)
        )
        for i in range(n)
    ]


def test_transcript_pages_hold_whole_messages_within_100_blocks():
    lines = _lines(300, 50)
    pages = paginate(lines)
    assert len(pages) == 4 and [p.first for p in pages] == [1, 97, 193, 289]
    assert sum(p.last - p.first + 1 for p in pages) == 300
    for n in range(1, 5):
        view = build_transcript_view(escalation_id=3, account="Acme", lines=lines, page=n)
        assert validate_view(view) == [] and len(view["blocks"]) <= 100
    first = build_transcript_view(escalation_id=3, account="Acme", lines=lines, page=0)  # clamped
    assert "page 1 of 4" in first["blocks"][0]["elements"][0]["text"]
    buttons = first["blocks"][-1]["elements"]
    assert [b["text"]["text"] for b in buttons] == ["Newer ›"] and parse_page_value(buttons[0]["value"]) == (
        3,
        2,
    )
    last = build_transcript_view(escalation_id=3, account="Acme", lines=lines, page=99)
    assert [b["text"]["text"] for b in last["blocks"][-1]["elements"]] == ["‹ Older"]


def test_a_huge_hostile_message_continues_over_sections_and_is_cut_past_the_cap():
    lines = _lines(3, 200_000, HOSTILE)
    for page in range(1, len(paginate(lines)) + 1):
        view = build_transcript_view(escalation_id=3, account=HOSTILE * 100, lines=lines, page=page)
        assert validate_view(view) == [], page
        dumped = json.dumps(_mrkdwn_texts(view["blocks"]))
        assert "<!channel>" not in dumped and "<@U0ALICE>" not in dumped
        for b in view["blocks"][1:]:
            if b["type"] == "section":
                text = b["text"]["text"]
                # a piece never ends inside an &entity;
                tail = text[text.rfind("&") :] if "&" in text[-6:] else ""
                assert not tail or ";" in tail
    assert "more characters not shown" in json.dumps(
        build_transcript_view(escalation_id=3, account="A", lines=lines)
    )


def test_an_empty_transcript_is_a_valid_view():
    view = build_transcript_view(escalation_id=1, account="", lines=[])
    assert validate_view(view) == [] and "0 messages" in json.dumps(view)


@pytest.mark.parametrize("value", ["3", "a:1", "3:x", "3:1:2", "", None, 5, "３:1", "1" * 30 + ":1"])
def test_page_values_that_are_not_ours_are_refused(value):
    assert parse_page_value(value) is None
