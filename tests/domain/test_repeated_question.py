"""The repeated-question detector: stemmed content terms in seven languages, the customer's own word
that they ask again, and the dialogue's shape (unsure AI answers between the askings)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain.errors import PolicyError
from bot.domain.model import Account, Decision, Message
from bot.domain.triggers import default_engine_config, evaluate, parse_engine_config
from bot.domain.triggers.detectors.reasking import says_asked_again, says_new_question
from bot.domain.triggers.terms import content_terms, overlap

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
CFG = default_engine_config()  # no model: terms are stemmed as English, no meaning vectors
SELF = Account(id="acme", tier="self-serve")
ENT = Account(id="acme", tier="enterprise")


def run(*turns: tuple[str, str, float | None], account: Account = SELF, config=CFG) -> Decision:  # type: ignore[no-untyped-def]
    msgs = [
        Message(role=r, text=t, ts=NOW - timedelta(minutes=len(turns) - i), ref=f"m{i}", confidence=c)  # type: ignore[arg-type]
        for i, (r, t, c) in enumerate(turns)
    ]
    return evaluate(msgs, account, NOW, config)


def C(text: str) -> tuple[str, str, float | None]:
    return ("customer", text, None)


def AI(text: str, conf: float | None) -> tuple[str, str, float | None]:
    return ("ai", text, conf)


def detail(d: Decision) -> str:
    return next(t for t in d.triggers if t.id == "repeated_question").evidence[0].detail


# ---------------------------------------------------------------- the pure parts


@pytest.mark.parametrize(
    ("language", "a", "b"),
    [
        ("en", "How do I transfer my projects?", "is there any way to move the project over?"),
        ("de", "Kann ich mehrere Rechnungsadressen hinterlegen?", "sind zwei Rechnungsadressen möglich?"),
        ("es", "¿Puedo tener dos empresas en la misma cuenta?", "Pregunto si se pueden llevar dos empresas"),
        ("fr", "limiter l'accès d'un utilisateur à un seul projet", "restreindre un membre à un seul projet"),
        ("pt", "Posso mudar a data de vencimento da fatura?", "dá para mudar o dia de vencimento?"),
        ("it", "Posso avere la fattura intestata alla mia azienda?", "far intestare la fattura all'azienda"),
        ("nl", "Hoe exporteer ik mijn facturen?", "Waar kan ik een factuur exporteren?"),
    ],
)
def test_content_terms_share_the_topic_across_inflections(language: str, a: str, b: str) -> None:
    ta, tb = content_terms(a, language), content_terms(b, language)
    assert overlap(ta, tb) >= 0.25, (ta, tb)


def test_content_terms_leave_out_function_words_and_keep_numbers() -> None:
    assert content_terms("How do I change the billing date to the 15th?", "en") == ("15", "bill", "chang", "date")
    assert content_terms("ok thanks, can you help me?", "en") == ("help",)
    assert content_terms("", "und") == () and overlap((), ("x",)) == 0.0


@pytest.mark.parametrize(
    "text",
    [
        "again: is there any way to get my projects over?",
        "I'm asking if starter customers get single sign-on",
        "can a deleted board be recovered, yes or no",
        "So can you change who the invoice is made out to or not?",
        "Ich frage zum dritten Mal: wann bekomme ich mein Geld?",
        "Also noch einmal: sind zwei Adressen möglich?",
        "Pergunto de novo: como dou permissão?",
        "Je reformule : comment restreindre un membre ?",
        "Quindi: posso o no far intestare la fattura?",
        "¿Otra vez: puedo tener dos empresas?",
        "Ik vraag het nogmaals: kan dat?",
    ],
)
def test_the_customer_saying_they_ask_again_in_seven_languages(text: str) -> None:
    assert says_asked_again(text)


@pytest.mark.parametrize("text", ["How do I export contacts?", "Wie ändere ich die Zeitzone?", "great, thanks"])
def test_a_plain_question_does_not_say_it_asks_again(text: str) -> None:
    assert not says_asked_again(text)


# ---------------------------------------------------------------- through the engine

REPHRASED = (
    C("How do I move my projects to another workspace?"),
    AI("You can create a new workspace from the workspace menu.", 0.6),
    C("I don't want a new one. How do I transfer existing projects into a different workspace?"),
    AI("Projects can be archived from the project menu.", 0.55),
    C("is there any way to get my projects over to the other workspace?"),
)


def test_rephrased_three_times_after_unsure_answers_fires_queued() -> None:
    d = run(*REPHRASED)
    assert "repeated_question" in d.trigger_ids and d.urgency == "queued"
    assert detail(d) == "asked 3 times (the same in other words, after answers the AI was unsure of)"
    assert "repeated_question" not in run(*REPHRASED[:3]).trigger_ids  # twice is not enough (self-serve)
    assert "repeated_question" in run(*REPHRASED[:3], account=ENT).trigger_ids  # enterprise: twice


def test_confident_answers_between_mean_the_question_was_answered() -> None:
    confident = [(r, t, 0.9 if r == "ai" else c) for r, t, c in REPHRASED]
    assert "repeated_question" not in run(*confident).trigger_ids


def test_asking_again_in_so_many_words_passes_a_confident_answer() -> None:
    turns = (
        C("Can I change the billing date to the 15th?"),
        AI("You can view your billing history in Billing > History.", 0.55),
        C("I want the charge to happen on the 15th. Is that possible?"),
        AI("Invoices are issued at the start of each billing period.", 0.9),
        C("So can the billing day be moved or not?"),
    )
    d = run(*turns)
    assert "repeated_question" in d.trigger_ids
    assert detail(d).endswith("; “or not”)")


@pytest.mark.parametrize("conf", [0.9, 0.5])
def test_the_same_question_about_other_objects_stays_routine(conf: float) -> None:
    turns = (
        C("how do I export contacts?"),
        AI("Contacts > Export > CSV.", conf),
        C("how do I export deals?"),
        AI("Deals > Export > CSV.", conf),
        C("and how do I export tasks?"),
    )
    assert "repeated_question" not in run(*turns).trigger_ids
    assert not run(*turns).escalate


def test_a_thanks_ends_the_run() -> None:
    turns = (
        *REPHRASED[:2],
        C("ok that worked, thanks"),
        *REPHRASED[2:],
    )
    assert "repeated_question" not in run(*turns).trigger_ids


def test_policy_keys_are_validated_with_the_fix() -> None:
    with pytest.raises(PolicyError) as err:
        parse_engine_config({"triggers": {"repeated_question": {"params": {"answered_at": 1.5}}}})
    assert err.value.path[-1] == "answered_at" and "from 0 to 1" in err.value.hint
    # a policy's own repeated-question trigger written before the two keys existed keeps working
    own = {"detector": "repeated_question", "params": {"times": 3, "similarity": 85, "semantic": 0.8, "min_words": 2}}
    cfg = parse_engine_config({"triggers": {"mine": own}})
    spec = next(t for t in cfg.triggers if t.id == "mine")
    assert spec.param("answered_at", "self-serve") == 0.7 and spec.param("overlap", "self-serve") == 0.25


@pytest.mark.parametrize(
    "turns",
    [
        (
            C("How do I add a user?"),
            AI("Settings > Team > Invite.", 0.65),
            C("ok and how do I make the user an admin?"),
            AI("Open the user and pick Admin.", 0.65),
            C("and can the user see billing?"),
        ),
        (
            C("How do I change the invoice address?"),
            AI("Billing > Details.", 0.6),
            C("thanks. can I also download old invoices?"),
            AI("Billing > History.", 0.6),
            C("and how do I pay an invoice by bank transfer?"),
        ),
    ],
    ids=["ok-and", "thanks-also"],
)
def test_follow_up_questions_after_a_taken_answer_are_new_questions(turns: Any) -> None:
    assert "repeated_question" not in run(*turns).trigger_ids


@pytest.mark.parametrize(
    ("text", "new"),
    [
        ("ok and how do I make the user an admin?", True),
        ("Gracias, ¿y cómo exporto?", True),
        ("Danke, noch eine Frage: wie geht das?", True),
        ("ok but that is not what I asked", False),
        ("Right, but the company name is wrong", False),
        ("and again, where is my key?", False),
        ("Sim, mas quero que ele seja administrador", False),
    ],
)
def test_a_new_question_is_told_from_a_re_asking(text: str, new: bool) -> None:
    assert says_new_question(text) is new
