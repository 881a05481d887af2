"""The resolved export on hostile input: every kind of personal data and secret is masked wherever
it appears (question, answers, note, reason), and each record stays exactly one valid JSON line
whatever the texts hold."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.flows.export import EVERYTHING, jsonl, resolved_record
from storage.models import Escalation, Message

T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
SECRETS = {
    "JANE.DOE+billing@Sub.Example.CO.uk": "[email]",
    "jane@x.io": "[email]",
    "+44 20 7946 0958": "[phone]",
    "(415) 555-2671": "[phone]",
    "415.555.2671": "[phone]",
    "4242-4242-4242-4242": "4242",
    "5555555555554444": "4444",
    "xoxb-" + "1234567890-" + "abcdefghijklmnopqrstuvwx": "",
    "xoxp-" + "9876543210-" + "zyxwvutsrqponmlkjihgfedc": "",
    "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc": "",
}
HOSTILE = [
    "quote \" backslash \\ newline\n tab\t nul\x00 line sep\u2028 para sep\u2029 end",
    "rtl \u202e override and emoji \U0001f525 and zero width \u200b",
    "slack link <mailto:jane@x.io|jane@x.io> and Bearer " + "eyJhbGciOiJIUzI1NiJ9." + "eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl",
]


def _message(i: int, role: str, text: str, minutes: int) -> Message:
    return Message(
        id=i, conversation_id=1, source="slack", channel="C1", ts=f"{i}.0", role=role, text=text,
        sent_at=T0 + timedelta(minutes=minutes),
    )


@pytest.mark.parametrize("where", ["question", "ai", "agent", "note", "reason"])
def test_every_secret_is_masked_wherever_it_appears(where: str):
    payload = " | ".join([*SECRETS, *HOSTILE])
    texts = {k: "plain" for k in ("question", "ai", "agent", "note", "reason")}
    texts[where] = f"{texts[where]} {payload}"
    esc = Escalation(
        id=7, conversation_id=1, account_id="acme", urgency="queued", category="billing",
        opened_at=T0 + timedelta(minutes=2), first_customer_at=T0, resolved_at=T0 + timedelta(minutes=30),
        resolved_by="U1", resolution_note=texts["note"], needed="no", needed_reason=texts["reason"],
        triggers=[{"id": "repeated_question"}],
    )
    messages = [
        _message(1, "customer", texts["question"], 0),
        _message(2, "ai", texts["ai"], 1),
        _message(3, "agent", texts["agent"], 5),
    ]
    line = jsonl(resolved_record(esc, messages, EVERYTHING))
    assert "\n" not in line and len(line.splitlines()) == 1  # U+2028/2029 escaped too
    record = json.loads(line)
    for secret in SECRETS:
        assert secret not in line, secret
    assert "jane@x.io" not in line and "eyJzdWIi" not in line
    blob = json.dumps(record, ensure_ascii=False)
    for mask in ("[email]", "[phone]", "card ending 4242", "card ending 4444"):
        assert mask in blob, mask
    # what is not personal data comes through untouched, control and line-separator characters included
    field = {
        "question": record["question"],
        "ai": record["ai_answers"][0],
        "agent": record["agent_answers"][0],
        "note": record["resolution_note"],
        "reason": record["feedback"]["reason"],
    }[where]
    assert HOSTILE[0] in field and "\U0001f525" in field and "\u202e" in field
    assert record["feedback"]["needed"] == "no"
    assert record["labels"]["triggers"] == ["repeated_question"]


def test_a_megabyte_of_digits_and_at_signs_is_masked_in_linear_time():
    text = "1" * 500_000 + " " + "a@" * 200_000 + " 4242 4242 4242 4242"
    masked = EVERYTHING(text)
    assert "4242 4242 4242 4242" not in masked and "card ending 4242" in masked
