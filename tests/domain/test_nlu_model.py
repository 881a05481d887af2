"""The packaged judgment model: loading, calibrated multi-label scores, languages, evidence, vectors.

These check behaviour the model card promises on messages written for the tests (none of them is a
training line), with margins rather than exact scores, so retraining keeps them meaningful.
"""

from __future__ import annotations

import math

import pytest

from bot.domain.nlu import LANGUAGES, UNDETERMINED, Classifier, Label, load_classifier
from bot.domain.nlu.features import negated_tokens


@pytest.fixture(scope="module")
def model() -> Classifier:
    return load_classifier()


def _cos(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_loads_once_with_a_versioned_hash(model: Classifier) -> None:
    assert load_classifier() is model
    base, _, digest = model.version.partition("+")
    assert base.startswith("baton-nlu-") and len(digest) == 10


def test_scores_are_probabilities_for_every_label(model: Classifier) -> None:
    pred = model.predict("Where can I download last month's invoice?")
    assert set(pred.scores) == set(Label)
    assert all(0.0 <= p <= 1.0 for p in pred.scores.values())
    assert pred.score(Label.ROUTINE) > 0.5
    assert max(p for label, p in pred.scores.items() if label is not Label.ROUTINE) < 0.5


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Could a member of your staff give me a ring this afternoon?", Label.HUMAN_REQUEST),
        ("You have billed my card two times for the same month.", Label.BILLING_DISPUTE),
        ("We have decided that we will not renew when the contract ends.", Label.CANCELLATION),
        ("Our security team needs your SOC 2 Type 2 report before procurement signs.", Label.COMPLIANCE),
        ("Someone changed my password and logged in, and it was not me.", Label.SECURITY_INCIDENT),
        ("My wife passed away and I need to close her account.", Label.SAFETY),
        ("Nothing loads for anyone in our company, the whole app is down.", Label.OUTAGE),
    ],
)
def test_recognises_each_family(model: Classifier, text: str, label: Label) -> None:
    pred = model.predict(text)
    assert pred.score(label) >= 0.5, pred.scores
    assert pred.score(Label.ROUTINE) < 0.5


def test_multi_label_message_gets_both_labels_and_each_its_own_evidence(model: Classifier) -> None:
    text = "Hello! You charged us twice for December. Also I want to speak to an actual person."
    pred = model.predict(text)
    assert pred.score(Label.BILLING_DISPUTE) >= 0.5
    assert pred.score(Label.HUMAN_REQUEST) >= 0.5
    assert pred.evidence[Label.BILLING_DISPUTE] == "You charged us twice for December."
    assert pred.evidence[Label.HUMAN_REQUEST] == "Also I want to speak to an actual person."


def test_quoted_speech_does_not_fire(model: Classifier) -> None:
    quoted = model.predict(
        "One of my customers wrote 'I want a lawyer and I will sue you'. How do I export his tickets?"
    )
    direct = model.predict("I want a lawyer and I will sue you.")
    assert direct.score(Label.LEGAL_THREAT) >= 0.5
    assert quoted.score(Label.LEGAL_THREAT) < 0.5


def test_calibration_is_sane(model: Classifier) -> None:
    clear = model.predict("I want to talk to a human right now")
    unrelated = model.predict("How do I change the colour of my dashboard widgets?")
    assert clear.score(Label.HUMAN_REQUEST) > 0.9
    assert unrelated.score(Label.HUMAN_REQUEST) < 0.1
    assert 0.0 < clear.score(Label.HUMAN_REQUEST) < 1.0 or math.isclose(clear.score(Label.HUMAN_REQUEST), 1.0)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Could you tell me where I can find the invoices for last year?", "en"),
        ("¿Podrían decirme dónde encuentro las facturas del año pasado?", "es"),
        ("Können Sie mir sagen, wo ich die Rechnungen vom letzten Jahr finde?", "de"),
        ("Pourriez-vous me dire où je trouve les factures de l'année dernière ?", "fr"),
        ("Vocês podem me dizer onde encontro as faturas do ano passado?", "pt"),
        ("Potreste dirmi dove trovo le fatture dell'anno scorso?", "it"),
        ("Kunnen jullie me vertellen waar ik de facturen van vorig jaar vind?", "nl"),
    ],
)
def test_language_identification(model: Classifier, text: str, language: str) -> None:
    assert language in LANGUAGES
    assert model.predict(text).language == language


@pytest.mark.parametrize(
    "text", ["ok", "👍", "请帮我联系人工客服", "Мне нужен живой оператор", "12345 67890"]
)
def test_language_undetermined(model: Classifier, text: str) -> None:
    assert model.predict(text).language == UNDETERMINED


def test_nothing_visible_is_routine(model: Classifier) -> None:
    pred = model.predict("```\nsue lawyer human cancel\n```")
    assert pred.score(Label.ROUTINE) == 1.0 and pred.score(Label.LEGAL_THREAT) == 0.0
    assert pred.evidence == {} and pred.language == UNDETERMINED


def test_vector_is_normalised_and_close_for_paraphrases(model: Classifier) -> None:
    def v(text: str) -> tuple[float, ...]:
        return model.predict(text).vector

    a = v("How do I reset my password?")
    assert math.isclose(_cos(a, a), 1.0, rel_tol=1e-4)
    same = _cos(a, v("I forgot my password, how can I reset it?"))
    other = _cos(a, v("Can you send me the SOC 2 report for our audit?"))
    assert same > other + 0.2
    cancel = _cos(v("Please cancel our subscription."), v("We will not be renewing our plan."))
    assert cancel > _cos(v("Please cancel our subscription."), v("Where is my parcel?"))


def test_huge_message_is_judged(model: Classifier) -> None:
    pred = model.predict("The export fails. " * 5_000 + "I want to talk to a person.")
    assert set(pred.scores) == set(Label)


def test_negation_scope_marks_the_words_after_a_negator_up_to_punctuation() -> None:
    marked = dict(negated_tokens("My account was not hacked, I just forgot my password"))
    assert marked["hacked"] and not marked["forgot"] and not marked["account"]
    assert dict(negated_tokens("mon compte n'a pas été piraté"))["pirate"]
    assert dict(negated_tokens("ich wurde nicht gehackt"))["gehackt"]
    assert dict(negated_tokens("I didn't make this charge"))["charge"]


def test_a_negated_incident_reads_as_routine() -> None:
    """ "not hacked, I just forgot my password" is routine by a wide margin; the same words without the
    negation are a security incident (measured on the packaged model, not a fake)."""
    model = load_classifier()
    negated = model.predict("My account was not hacked, I just forgot my password. How do I reset it?")
    plain = model.predict("My account was hacked, someone changed my password.")
    assert negated.score(Label.ROUTINE) > negated.score(Label.SECURITY_INCIDENT)
    assert plain.score(Label.SECURITY_INCIDENT) > 0.9 > plain.score(Label.ROUTINE)
