"""The `tickets:` policy block and the ticket's text (bot/domain/tickets.py)."""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.domain.errors import PolicyError
from bot.domain.tickets import (
    BODY_LIMIT,
    SUBJECT_LIMIT,
    Helpdesk,
    TicketText,
    When,
    body,
    html,
    parse_tickets,
    subject,
    wanted,
)
from bot.policy import load_policy_text

PATH = ("teams", "t", "tickets")


def test_policy_defaults_and_values() -> None:
    assert parse_tickets(None, PATH) is None
    config = parse_tickets({"helpdesk": "zendesk"}, PATH)
    assert config is not None
    assert (config.helpdesk, config.when, config.use_source, config.group_id) == (
        Helpdesk.ZENDESK,
        frozenset({When.QUEUED, When.AFTER_HOURS}),
        True,
        None,
    )
    fd = parse_tickets(
        {"helpdesk": "freshdesk", "when": "always", "requester_email": "s@o.example", "group_id": 7, "tags": ["vip"]},
        PATH,
    )
    assert fd is not None and fd.when == frozenset({When.ALWAYS}) and fd.tags == ("vip",) and fd.group_id == 7


def test_when_a_ticket_is_wanted() -> None:
    default = parse_tickets({"helpdesk": "zendesk"}, PATH)
    assert wanted(default, urgency="queued", after_hours=False)
    assert wanted(default, urgency="immediate", after_hours=True)
    assert not wanted(default, urgency="immediate", after_hours=False)
    assert wanted(parse_tickets({"helpdesk": "zendesk", "when": ["always"]}, PATH), urgency="immediate", after_hours=False)
    assert not wanted(None, urgency="queued", after_hours=True)


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        ("yes", PATH),
        ({}, (*PATH, "helpdesk")),
        ({"helpdesk": "jira"}, (*PATH, "helpdesk")),
        ({"helpdesk": "zendesk", "when": []}, (*PATH, "when")),
        ({"helpdesk": "zendesk", "when": ["later"]}, (*PATH, "when", 0)),
        ({"helpdesk": "zendesk", "use_source": "yes"}, (*PATH, "use_source")),
        ({"helpdesk": "zendesk", "group_id": "support"}, (*PATH, "group_id")),
        ({"helpdesk": "zendesk", "requester_email": "nobody"}, (*PATH, "requester_email")),
        ({"helpdesk": "freshdesk"}, (*PATH, "requester_email")),
        ({"helpdesk": "zendesk", "tags": ["two words"]}, (*PATH, "tags", 0)),
        ({"helpdesk": "zendesk", "priority": "high"}, (*PATH, "priority")),
    ],
)
def test_bad_policy_names_the_place_and_the_fix(raw: object, where: tuple[object, ...]) -> None:
    with pytest.raises(PolicyError) as err:
        parse_tickets(raw, PATH)
    assert err.value.path == where
    assert err.value.hint


def test_baton_check_names_the_line_and_the_fix(tmp_path, capsys) -> None:
    text = "version: 1\nteams:\n  support:\n    channel: C0SUPPORT\n    tickets:\n      helpdesk: freshdesk\n"
    path = tmp_path / "p.yaml"
    path.write_text(text)
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:6:" in err and "requester_email" in err and "support@ourco.example" in err
    path.write_text(text + "      requester_email: support@ourco.example\n")
    assert main(["check", str(path)]) == 0
    assert load_policy_text(path.read_text()).teams["support"].tickets is not None
    defaults = "version: 1\nteam_defaults:\n  tickets: {helpdesk: zendesk}\nteams:\n  support:\n    channel: C0SUPPORT\n"
    assert load_policy_text(defaults).teams["support"].tickets is not None  # from team_defaults


def _text(**over: object) -> TicketText:
    base: dict[str, object] = {
        "escalation_id": 7,
        "account": "Acme",
        "team": "support",
        "urgency": "queued",
        "category": "billing",
        "summary": [("What the customer wants", "a refund")],
        "facts": [("Tier", "enterprise"), ("MRR", "")],
        "next_actions": ["Check the charges"],
        "transcript": [("2026-11-23 15:00 UTC", "customer", "hello")],
        "card_link": "https://x.slack.com/archives/C/p1",
    }
    base.update(over)
    return TicketText(**base)  # type: ignore[arg-type]


def test_the_ticket_reads_top_to_bottom() -> None:
    text = body(_text())
    order = [text.index(s) for s in ("Card in Slack", "Summary", "Account", "Recommended next actions", "Transcript (1")]
    assert order == sorted(order)
    assert "MRR" not in text  # an empty fact is left out
    assert subject(_text()) == "[Baton] Acme: a refund"


def test_hostile_input_stays_within_the_limits() -> None:
    huge = [("t", "customer", "<b>x</b> & " * 5000) for _ in range(300)]
    text = body(_text(transcript=huge, summary=[("What the customer wants", "y" * 10_000)]))
    assert len(text) <= BODY_LIMIT
    assert "earlier messages left out" in text
    assert len(subject(_text(summary=[("What the customer wants", "w " * 500)]))) <= SUBJECT_LIMIT
    assert "<b>" not in html(text) and "&lt;b&gt;" in html(text)
