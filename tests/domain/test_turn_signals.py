"""Conversation-level signals over turns, in seven languages: "that didn't help" turns (failed
attempts), the customer's closing ("c'est fait", "hat geklappt": resolved.py), and the frustration
trend leaving a closing turn out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.model import Account, Decision, Message
from bot.domain.triggers import analyse, decide, parse_engine_config
from bot.domain.triggers.detectors.failed_attempts import says_it_failed
from bot.domain.triggers.resolved import says_resolved
from tests.domain.fake_classifier import FakeClassifier

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
SELF = Account(id="acme", tier="self-serve")
MID = Account(id="acme", tier="mid-market")
CFG = parse_engine_config({}, classifier=FakeClassifier("fake-1"))


def run(*turns: tuple[str, str], account: Account = SELF) -> Decision:
    msgs = [
        Message(role=r, text=t, ts=NOW - timedelta(minutes=len(turns) - i), ref=f"m{i}", confidence=0.8 if r == "ai" else None)  # type: ignore[arg-type]
        for i, (r, t) in enumerate(turns)
    ]
    return decide([(m, analyse(m, CFG)) for m in msgs], account, NOW, CFG)


@pytest.mark.parametrize(
    "text",
    [
        "I tried 200. Didn't help.",
        "made no difference",
        "tried it again three times",
        "Ya está añadido, no ha servido.",
        "No lo hay. Nada de lo que me decís funciona.",
        "Lo hice y nada.",
        "Schon mehrfach gemacht.",
        "Das hat nichts gebracht.",
        "Fait. Rien.",
        "Réinstallée. Toujours rien.",
        "Tentei várias vezes e nada.",
        "Também não funcionou.",
        "Non è cambiato nulla.",
        "Ook met één pagina lukt het niet.",
        "Zelfde probleem in Edge en Chrome.",
    ],
)
def test_that_did_not_help_in_seven_languages(text: str) -> None:
    assert says_it_failed(text)


@pytest.mark.parametrize("text", ["how do I export?", "Wie ändere ich die Sprache?", "¿Cómo cambio mi plan?"])
def test_a_question_is_no_failed_attempt(text: str) -> None:
    assert not says_it_failed(text)


@pytest.mark.parametrize(
    "text",
    [
        "Super, c'est fait.",
        "ça marche maintenant, merci",
        "ya funciona, gracias",
        "hat geklappt, danke",
        "Tudo certo então.",
        "ha funzionato!",
        "het werkt nu, bedankt",
    ],
)
def test_a_closing_in_seven_languages(text: str) -> None:
    assert says_resolved("", set(), text)


@pytest.mark.parametrize(
    "text",
    [
        "no funcionó",
        "ça ne marche pas",
        "non ha funzionato",
        "não funcionou",
        "werkt nu niet",
        "es funktioniert jetzt nicht",
        "Merci de me rembourser le doublon.",
    ],
)
def test_a_negated_or_polite_sentence_is_no_closing(text: str) -> None:
    assert not says_resolved("", set(), text)


def test_failed_attempts_in_spanish_after_answers() -> None:
    d = run(
        ("customer", "No puedo conectar mi dominio."),
        ("ai", "Añade el registro CNAME."),
        ("customer", "Ya está añadido, no ha servido."),
        ("ai", "Comprueba que no haya otro registro A."),
        ("customer", "No lo hay. Nada de lo que me decís funciona."),
    )
    assert "failed_attempts" in d.trigger_ids


def test_frustration_building_leaves_out_a_closing_turn() -> None:
    building = (
        ("customer", "hmm, it stopped"),
        ("ai", "try this"),
        ("customer", "that is annoying"),
        ("ai", "and this"),
    )
    assert "frustration_building" in run(*building, ("customer", "this is ridiculous")).trigger_ids
    closing = run(*building, ("customer", "ridiculous how simple, ça marche maintenant"))
    assert "frustration_building" not in closing.trigger_ids
