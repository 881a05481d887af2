"""`baton import zendesk|intercom`: real export shapes become conversations `baton backtest` accepts;
malformed and hostile exports get clear errors, never a traceback."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.commands.backtest import parse_conversation
from bot.domain.redact import NO_REDACTION
from bot.helpdesk_export import (
    BadRecord,
    Options,
    html_to_text,
    intercom_conversation,
    zendesk_conversation,
    zendesk_records,
)

NOW = datetime(2026, 11, 24, tzinfo=UTC)

TICKET = {
    "id": 35436,
    "subject": "Charged twice",
    "status": "solved",
    "requester_id": 20978392,
    "organization_id": 509974,
    "created_at": "2026-11-03T10:00:00Z",
    "comments": [
        {
            "id": 1274,
            "type": "Comment",
            "author_id": 20978392,
            "body": "I was charged twice, card 4242 4242 4242 4242. I want a real person!",
            "public": True,
            "created_at": "2026-11-03T10:00:00Z",
            "via": {"channel": "web"},
        },
        {
            "id": 1275,
            "author_id": 900,
            "body": "I can help with billing questions. Refunds take 5 days.",
            "public": True,
            "created_at": "2026-11-03T10:00:05Z",
            "via": {"channel": "answer_bot"},
        },
        {
            "id": 1276,
            "author_id": 77,
            "body": "internal: VIP",
            "public": False,
            "created_at": "2026-11-03T10:01:00Z",
        },
        {
            "id": 1277,
            "author_id": 77,
            "plain_body": "Hi, Dana here, refunding the duplicate now.",
            "body": "<p>Hi</p>",
            "public": True,
            "created_at": "2026-11-03T10:05:00Z",
        },
    ],
}

CONVERSATION = {
    "type": "conversation",
    "id": "1911149811",
    "created_at": 1762164000,
    "state": "closed",
    "source": {
        "type": "conversation",
        "id": "403918330",
        "delivered_as": "customer_initiated",
        "body": "<p>My export keeps failing &amp; I&#39;m stuck<br>since yesterday</p>",
        "author": {"type": "user", "id": "5310d8e7598c9a0b24000002", "name": "Sam"},
    },
    "contacts": {
        "type": "contact.list",
        "contacts": [{"type": "contact", "id": "5310d8e7", "external_id": "acme"}],
    },
    "conversation_parts": {
        "type": "conversation_part.list",
        "conversation_parts": [
            {
                "type": "conversation_part",
                "id": "p1",
                "part_type": "comment",
                "body": "<p>Try clearing the cache.</p>",
                "created_at": 1762164010,
                "author": {"type": "bot", "id": "fin"},
            },
            {
                "type": "conversation_part",
                "id": "p2",
                "part_type": "note",
                "body": "<p>internal note</p>",
                "created_at": 1762164020,
                "author": {"type": "admin", "id": "814860"},
            },
            {
                "type": "conversation_part",
                "id": "p3",
                "part_type": "assignment",
                "body": None,
                "created_at": 1762164030,
                "author": {"type": "admin", "id": "814860"},
            },
            {
                "type": "conversation_part",
                "id": "p4",
                "part_type": "comment",
                "body": "<p>Still not working, let me talk to a human</p>",
                "created_at": 1762164040,
                "author": {"type": "user", "id": "5310d8e7598c9a0b24000002"},
            },
            {
                "type": "conversation_part",
                "id": "p5",
                "part_type": "comment",
                "body": "<p>Hi Sam, Alex here.</p>",
                "created_at": 1762164050,
                "author": {"type": "admin", "id": "814860"},
            },
        ],
        "total_count": 5,
    },
}


def _run(tmp_path: Path, helpdesk: str, content: str, *extra: str) -> tuple[int, list[dict], str]:
    src = tmp_path / "export.json"
    src.write_text(content, encoding="utf-8")
    out = tmp_path / "history.jsonl"
    code = main(["import", helpdesk, str(src), "-o", str(out), *extra])
    lines = out.read_text(encoding="utf-8").splitlines() if out.exists() else []
    return code, [json.loads(x) for x in lines], str(src)


def test_a_zendesk_ticket_list_becomes_a_backtest_conversation(tmp_path, capsys):
    code, convs, _ = _run(
        tmp_path, "zendesk", json.dumps({"tickets": [TICKET], "next_page": None}), "--label-handoffs"
    )
    assert code == 0
    [conv] = convs
    assert conv["id"] == "zendesk-35436" and conv["account"] == {"id": "509974"}
    assert [m["role"] for m in conv["messages"]] == ["customer", "ai", "agent"]  # the internal note is out
    assert conv["messages"][0]["text"].startswith("I was charged twice, card [card ending 4242].")
    assert conv["messages"][2]["text"] == "Hi, Dana here, refunding the duplicate now."  # plain_body wins
    assert conv["messages"][1]["ts"] == "2026-11-03T10:00:05Z"
    assert conv["label"] == {"escalate": True} and conv["tags"] == {"source": "zendesk", "status": "solved"}
    parse_conversation(json.dumps(conv), NOW)  # backtest accepts it as it is
    assert "1 conversation written, 0 skipped" in capsys.readouterr().err


def test_the_imported_file_runs_through_backtest(tmp_path, capsys):
    code, _, _ = _run(
        tmp_path, "intercom", json.dumps({"type": "conversation.list", "conversations": [CONVERSATION]})
    )
    assert code == 0
    capsys.readouterr()
    assert main(["backtest", str(tmp_path / "history.jsonl"), "--no-model", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["conversations"] == 1 and result["results"][0]["id"] == "intercom-1911149811"
    assert result["results"][0]["escalate"] is True  # "let me talk to a human"


def test_an_intercom_conversation_reads_html_skips_notes_and_knows_fin():
    conv = intercom_conversation(CONVERSATION, Options(redact=NO_REDACTION))
    msgs = conv["messages"]
    assert [m["role"] for m in msgs] == ["customer", "ai", "customer", "agent"]
    assert msgs[0]["text"] == "My export keeps failing & I'm stuck\nsince yesterday"
    assert msgs[0]["ts"] == "2025-11-03T10:00:00Z" and msgs[1]["author"] == "fin"
    assert conv["account"] == {"id": "acme"} and conv["tags"]["state"] == "closed"


def test_named_ai_authors_and_single_ticket_shapes():
    single = {"ticket": {k: v for k, v in TICKET.items() if k != "comments"}, "comments": TICKET["comments"]}
    conv = zendesk_conversation(
        next(zendesk_records(single)),
        Options(ai_authors=frozenset({"77"})),
    )
    assert [m["role"] for m in conv["messages"]] == ["customer", "ai", "ai"]


def test_side_loaded_comments_and_json_lines(tmp_path):
    bare = {k: v for k, v in TICKET.items() if k != "comments"}
    side = [{**c, "ticket_id": 35436} for c in TICKET["comments"]]
    code, convs, _ = _run(tmp_path, "zendesk", json.dumps({"tickets": [bare], "comments": side}))
    assert code == 0 and len(convs[0]["messages"]) == 3
    lines = "\n".join(json.dumps({**TICKET, "id": i}) for i in range(3)) + "\n\n"
    code, convs, _ = _run(tmp_path, "zendesk", lines)
    assert code == 0 and [c["id"] for c in convs] == ["zendesk-0", "zendesk-1", "zendesk-2"]


def test_bad_records_are_reported_with_where_and_skipped(tmp_path, capsys):
    lines = [
        json.dumps(TICKET),
        "{not json",
        json.dumps({"subject": "no id"}),
        json.dumps({**TICKET, "id": 2, "comments": "not a list"}),
        json.dumps({**TICKET, "id": 3, "comments": [{**TICKET["comments"][2]}]}),  # only an internal note
        json.dumps({**TICKET, "id": 4, "comments": [{**TICKET["comments"][1]}]}),  # nothing from the customer
        json.dumps({**TICKET, "id": 5, "comments": [{**TICKET["comments"][0], "created_at": "yesterday"}]}),
        "42",
    ]
    code, convs, src = _run(tmp_path, "zendesk", "\n".join(lines))
    err = capsys.readouterr().err
    assert code == 0 and len(convs) == 1
    assert f"{src}: line 2: not JSON" in err
    assert 'line 3: ticket: needs an "id"' in err
    assert "line 4: comments: must be a list, got str" in err
    assert "line 5: no message the customer saw" in err
    assert "line 6: no message from the customer" in err
    assert "line 7: comments[0].created_at: 'yesterday' is not an ISO-8601 time" in err
    assert "line 8: ticket: must be an object, got int" in err
    assert "1 conversation written, 7 skipped" in err
    code, _, _ = _run(tmp_path, "zendesk", "\n".join(lines), "--strict")
    assert code == 1


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "the export is empty"),
        ("  \n\n", "the export is empty"),
        ('{\n  "tickets": [\n', "not JSON or JSON Lines"),
        ('{"tickets": {"id": 1}}', "tickets: must be a list"),
        (json.dumps({"tickets": []}), "nothing in"),
        (json.dumps(CONVERSATION), "nothing in"),  # an Intercom file given as Zendesk
    ],
)
def test_unusable_exports_fail_with_a_clear_error(tmp_path, capsys, content, message):
    code, convs, _ = _run(tmp_path, "zendesk", content)
    assert code == 1 and convs == []
    assert message in capsys.readouterr().err


def test_missing_files_and_unknown_helpdesks(tmp_path, capsys):
    assert main(["import", "zendesk", str(tmp_path / "nope.json")]) == 1
    assert "cannot read" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["import", "freshdesk", str(tmp_path / "nope.json")])
    assert exit_.value.code == 2
    bad_policy = tmp_path / "p.yaml"
    bad_policy.write_text(
        "version: 1\nteams: {s: {channel: C0S}}\nredaction: {mask: [ssn]}\n", encoding="utf-8"
    )
    code, _, _ = _run(tmp_path, "zendesk", json.dumps(TICKET), "--policy", str(bad_policy))
    assert code == 1 and "p.yaml:3" in capsys.readouterr().err


def test_no_redact_and_a_policy_that_masks_emails(tmp_path):
    ticket = {
        **TICKET,
        "comments": [{**TICKET["comments"][0], "body": "mail jo@acme.io, card 4242424242424242"}],
    }
    _, [kept], _ = _run(tmp_path, "zendesk", json.dumps(ticket), "--no-redact")
    assert kept["messages"][0]["text"] == "mail jo@acme.io, card 4242424242424242"
    policy = tmp_path / "p.yaml"
    policy.write_text("version: 1\nteams: {s: {channel: C0S}}\nredaction: {mask: all}\n", encoding="utf-8")
    _, [masked], _ = _run(tmp_path, "zendesk", json.dumps(ticket), "--policy", str(policy))
    assert masked["messages"][0]["text"] == "mail [email], card [card ending 4242]"


def test_hostile_bodies_stay_bounded_and_linear():
    hostile = "<" * 200_000 + "<p>" + "&amp;" * 50_000 + "\x00" + "💥" * 10_000
    conv = intercom_conversation(
        {**CONVERSATION, "source": {**CONVERSATION["source"], "body": hostile}}, Options(redact=NO_REDACTION)
    )
    assert len(conv["messages"][0]["text"]) <= 20_000
    assert html_to_text("<script>alert(1)</script><b>hi</b>") == "alert(1)hi"
    with pytest.raises(BadRecord):
        intercom_conversation({**CONVERSATION, "created_at": 10**20}, Options())
    with pytest.raises(BadRecord):
        intercom_conversation({"id": True}, Options())
