"""The bug-signature detector and the `bugs:` policy block (bot/domain/bugs.py)."""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.domain.bugs import SignalKind, bug_signals, bug_signature, bug_title, parse_bugs
from bot.domain.errors import PolicyError
from bot.domain.model import CATEGORIES
from bot.policy import load_policy_text

TEAM = "9cfb482a-81e3-4154-b5b9-2c805e70a02d"
LABEL = "2d0a8c3e-1b7f-4c4e-9f1a-0a6b1c2d3e4f"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("I get a 500 error every time I open the dashboard", SignalKind.SERVER_ERROR),
        ("The API returns HTTP 503 since this morning", SignalKind.SERVER_ERROR),
        ("502 Bad Gateway on checkout", SignalKind.SERVER_ERROR),
        ("It says Internal Server Error", SignalKind.SERVER_ERROR),
        ("Traceback (most recent call last):\n  File \"app.py\", line 3", SignalKind.STACK_TRACE),
        ("java.lang.NullPointerException at com.acme.Sync.run(Sync.java:42)", SignalKind.STACK_TRACE),
        ("TypeError: cannot read properties of undefined", SignalKind.STACK_TRACE),
        ("I see error code E1234 when saving", SignalKind.ERROR_CODE),
        ("Chrome shows ERR_CONNECTION_RESET", SignalKind.ERROR_CODE),
        ("the export has been broken since the last release", SignalKind.REGRESSION),
        ("Since your update the sync doesn't work", SignalKind.REGRESSION),
        ("The Slack integration stopped working yesterday", SignalKind.STOPPED_WORKING),
        ("the app keeps crashing on login", SignalKind.STOPPED_WORKING),
        ("La exportación dejó de funcionar", SignalKind.STOPPED_WORKING),
        ("Der Export funktioniert nicht mehr", SignalKind.STOPPED_WORKING),
        ("L'export ne fonctionne plus depuis la mise à jour", SignalKind.REGRESSION),
        ("A sincronização parou de funcionar", SignalKind.STOPPED_WORKING),
        ("L'esportazione non funziona più", SignalKind.STOPPED_WORKING),
        ("De export werkt niet meer", SignalKind.STOPPED_WORKING),
        ("Erreur 500 sur la page", SignalKind.SERVER_ERROR),
    ],
)
def test_bug_reports_are_recognised(text: str, kind: SignalKind) -> None:
    kinds = [s.kind for s in bug_signals(text)]
    assert kind in kinds, (text, kinds)


@pytest.mark.parametrize(
    "text",
    [
        "I want a refund for the last invoice",
        "Can I upgrade to the 500 seats plan?",
        "We were charged $500 twice",
        "Everything works great since the update, thanks!",
        "Please cancel my subscription",
        "I'd like to talk to a human",
        "My order number is 5021",
        "What's new in the latest release?",
        "No error, I just have a question about pricing",
        "",
    ],
)
def test_other_messages_are_not_bugs(text: str) -> None:
    assert bug_signals(text) == ()


def test_signature_reads_the_messages_in_order_and_quotes_the_customer() -> None:
    signal = bug_signature(["hello", "The webhooks stopped working after lunch"])
    assert signal is not None and signal.kind == SignalKind.STOPPED_WORKING
    assert signal.quote == "stopped working"
    assert bug_signature(["hello", "thanks"]) is None


def test_a_huge_message_is_read_in_bounded_time() -> None:
    assert bug_signals("a" * 1_000_000) == ()
    assert bug_signals("broken " * 50_000) == ()


def test_title_comes_from_the_message_with_the_signal_cut_to_fit() -> None:
    title = bug_title(["hi", "The   CSV export\nstopped working " + "x" * 300], account_name="Acme")
    assert title.startswith("[Acme] The CSV export stopped working")
    assert len(title) <= 120 and title.endswith("…")
    assert bug_title([], account_name="") == "Bug reported by a customer"


def test_policy_defaults_and_values() -> None:
    assert parse_bugs(None, ("teams", "t", "bugs"), categories=CATEGORIES) is None
    config = parse_bugs({"linear_team_id": TEAM, "labels": [LABEL]}, ("teams", "t", "bugs"), categories=CATEGORIES)
    assert config is not None
    assert (config.linear_team_id, config.labels, config.create, config.categories) == (
        TEAM,
        (LABEL,),
        True,
        ("technical",),
    )


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        ("yes", ("teams", "t", "bugs")),
        ({"linear_team_id": "ENG"}, ("teams", "t", "bugs", "linear_team_id")),
        ({}, ("teams", "t", "bugs", "linear_team_id")),
        ({"linear_team_id": TEAM, "labels": ["bug"]}, ("teams", "t", "bugs", "labels", 0)),
        ({"linear_team_id": TEAM, "labels": "bug"}, ("teams", "t", "bugs", "labels")),
        ({"linear_team_id": TEAM, "create": "yes"}, ("teams", "t", "bugs", "create")),
        ({"linear_team_id": TEAM, "categories": ["bugs"]}, ("teams", "t", "bugs", "categories", 0)),
        ({"linear_team_id": TEAM, "jira": True}, ("teams", "t", "bugs", "jira")),
    ],
)
def test_bad_policy_names_the_place_and_the_fix(raw: object, where: tuple[object, ...]) -> None:
    with pytest.raises(PolicyError) as err:
        parse_bugs(raw, ("teams", "t", "bugs"), categories=CATEGORIES)
    assert err.value.path == where
    assert err.value.hint


def test_baton_check_names_the_line_and_the_fix(tmp_path, capsys) -> None:
    text = (
        "version: 1\n"
        "teams:\n"
        "  support:\n"
        "    channel: C0SUPPORT\n"
        "    bugs:\n"
        "      linear_team_id: ENG\n"
    )
    path = tmp_path / "p.yaml"
    path.write_text(text)
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:6:" in err and "linear_team_id" in err and "Settings → Teams" in err
    path.write_text(text.replace("ENG", TEAM))
    assert main(["check", str(path)]) == 0
    assert load_policy_text(path.read_text()).teams["support"].bugs is not None
    assert load_policy_text(text.replace("    bugs:\n      linear_team_id: ENG\n", "")).teams["support"].bugs is None
