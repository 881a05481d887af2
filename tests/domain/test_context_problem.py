"""Business context tips a real but mild problem: problem reports in seven languages (problem_report.py)
read by `context_problem` for enterprise / renewing / at-risk / new accounts, never for self-serve ones,
and never for how-to questions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.errors import PolicyError
from bot.domain.model import Account, Decision, Message
from bot.domain.triggers import default_engine_config, evaluate, parse_engine_config
from bot.domain.triggers.detectors.problem_report import says_problem, says_reach

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
CFG = default_engine_config()  # no model: the words alone
SELF = Account(id="s", tier="self-serve", mrr=49)
ENT = Account(id="e", tier="enterprise", mrr=80_000)
RENEWING = Account(id="r", tier="mid-market", mrr=3_200, renewal_date=date(2026, 12, 3))
AT_RISK = Account(id="k", tier="mid-market", mrr=2_600, at_risk=True)
NEW = Account(id="n", tier="mid-market", mrr=1_800, created_at=NOW - timedelta(days=12))

PROBLEMS = [
    "our admins are locked out",
    "The dashboards have been loading slowly all week, can someone check?",
    "The reporting numbers don't match our CRM again.",
    "Notifications have been delayed by about an hour today.",
    "Varios usuarios no pueden exportar los informes desde ayer.",
    "Onze beheerders kunnen niet meer inloggen sinds de update.",
    "Nossos administradores estão sem acesso à plataforma desde cedo.",
    "Plusieurs de nos managers n'ont plus accès à leurs tableaux de bord depuis la mise à jour.",
    "Die Datenmigration ist seit zwei Wochen immer noch nicht abgeschlossen.",
    "Diversi utenti non riescono ad accedere da stamattina.",
    "We are seeing errors on the billing page since Tuesday",
    "the app keeps logging us out",
    "half of our contacts disappeared",
    "los informes no se cargan desde esta mañana",
    "die App stürzt seit heute ab",
    "les chiffres ne correspondent pas depuis lundi",
    "os números não batem há dias",
    "i numeri non tornano da ieri",
    "de cijfers kloppen niet sinds gisteren",
    "We are having an issue with SSO",
    "Tenemos un problema con la sincronización",
    "Wir haben ein Problem mit dem Export",
    "Nous avons un problème avec la synchro",
    "Estamos com um problema no login",
    "Abbiamo un problema con le fatture",
    "We hebben een probleem met de koppeling",
]
HOW_TO = [
    "how do I export a report?",
    "what does error code 403 mean in the API docs?",
    "cant find the exprot button on reports",
    "Wie lange dauert normalerweise ein Datenimport?",
    "¿Cómo exporto un informe?",
    "Comment ajouter un utilisateur ?",
    "prices went down this month, nice",
    "how do I see errors in the log?",
    "where can I see the wrong entries?",
    "how do we add a user?",
    "we have a question about our invoice",
]


def run(*texts: str, account: Account, ai: str | None = None) -> Decision:
    turns: list[tuple[str, str]] = []
    for i, t in enumerate(texts):
        if i and ai:
            turns.append(("ai", ai))
        turns.append(("customer", t))
    msgs = [
        Message(role=r, text=t, ts=NOW - timedelta(minutes=len(turns) - i), ref=f"m{i}")  # type: ignore[arg-type]
        for i, (r, t) in enumerate(turns)
    ]
    return evaluate(msgs, account, NOW, CFG)


@pytest.mark.parametrize("text", PROBLEMS)
def test_problem_reports_are_read_in_seven_languages(text: str) -> None:
    assert says_problem(text) and says_reach(text)


@pytest.mark.parametrize("text", HOW_TO)
def test_how_to_questions_are_not_problem_reports(text: str) -> None:
    assert not says_problem(text)


@pytest.mark.parametrize("account", [ENT, RENEWING, AT_RISK, NEW], ids=["enterprise", "renewing", "at_risk", "new"])
@pytest.mark.parametrize("text", PROBLEMS[:6])
def test_an_account_that_matters_with_a_real_problem_escalates_queued(account: Account, text: str) -> None:
    d = run(text, account=account)
    assert "context_problem" in d.trigger_ids, d.trigger_ids
    t = next(t for t in d.triggers if t.id == "context_problem")
    assert t.urgency == "queued" and "a problem report" in t.evidence[0].detail


@pytest.mark.parametrize("text", PROBLEMS)
def test_the_same_words_from_a_self_serve_account_stay_with_the_ai(text: str) -> None:
    assert "context_problem" not in run(text, account=SELF).trigger_ids


@pytest.mark.parametrize("text", HOW_TO)
def test_an_enterprise_how_to_question_stays_with_the_ai(text: str) -> None:
    assert not run(text, account=ENT).escalate


def test_one_persons_first_snag_is_the_ais_to_try_and_a_fix_ends_it() -> None:
    assert "context_problem" not in run("my teammate can't see the shared folder", account=ENT).trigger_ids
    still = run("my teammate can't see the shared folder", "she can't see the folder", account=ENT, ai="Share it.")
    assert "context_problem" in still.trigger_ids  # still there after an answer
    fixed = run("our admins are locked out since this morning, ok that fixed it, thanks", account=ENT)
    assert "context_problem" not in fixed.trigger_ids


def test_words_can_be_switched_off_and_are_validated() -> None:
    cfg = parse_engine_config({"triggers": {"context_problem": {"params": {"words": False}}}})
    msgs = [Message(role="customer", text="our admins are locked out", ts=NOW, ref="m0")]
    assert "context_problem" not in evaluate(msgs, ENT, NOW, cfg).trigger_ids
    with pytest.raises(PolicyError) as err:
        parse_engine_config({"triggers": {"context_problem": {"params": {"words": "sometimes"}}}})
    assert err.value.path[-1] == "words"
