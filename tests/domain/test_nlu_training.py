"""`baton train-model` rebuilds the weights deterministically from the training data in the repo."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.domain.nlu import Label
from bot.domain.nlu.model import LinearClassifier, Weights, weights_digest
from bot.training import data


def test_every_language_has_every_label() -> None:
    examples = data.load_examples()
    for language in ("en", "es", "de", "fr", "pt", "it", "nl"):
        have = {label for ex in examples if ex.language == language for label in ex.labels}
        assert have == set(Label), f"{language} lacks {set(Label) - have}"


def test_held_out_split_is_by_source_line() -> None:
    train, test = data.split(data.load_examples())
    assert test and train
    assert not {e.group for e in train} & {e.group for e in test}


def test_bad_training_file_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "en.txt").write_text("[routine]\nhello\n[not_a_label]\nx\n", encoding="utf-8")
    with pytest.raises(ValueError, match="en.txt:3"):
        data.load_examples(tmp_path)


def _tiny_corpus(folder: Path) -> None:
    (folder / "en.txt").write_text(
        "@who = a person | a human | an agent\n"
        "[human_request]\nI want to talk to {who}\nget me {who} please\ncan I speak to {who}\n"
        "[billing_dispute]\nyou charged me twice\nI want a refund\nthere is a charge I did not make\n"
        "[routine]\nhow do I reset my password\nwhere is my invoice\nthanks, that worked\nhello there\n",
        encoding="utf-8",
    )
    (folder / "es.txt").write_text(
        "[human_request]\nquiero hablar con una persona\n[routine]\n¿cómo cambio mi contraseña?\ngracias\n",
        encoding="utf-8",
    )


def test_training_on_a_tiny_sample_is_deterministic_and_loads(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    _tiny_corpus(tmp_path)
    first, second = tmp_path / "a.npz", tmp_path / "b.npz"
    assert main(["train-model", "--data", str(tmp_path), "--all", "--out", str(first)]) == 0
    assert main(["train-model", "--data", str(tmp_path), "--all", "--out", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    blob = first.read_bytes()
    model = LinearClassifier(Weights.from_bytes(blob), digest=weights_digest(blob))
    assert model.version in capsys.readouterr().out
    pred = model.predict("could I talk to a human")
    assert pred.score(Label.HUMAN_REQUEST) > pred.score(Label.BILLING_DISPUTE)


def test_training_reports_the_held_out_split(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "m.npz"
    assert main(["train-model", "--sample", "150", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "held-out measurement" in printed and "precision" in printed
    assert out.stat().st_size > 0
