"""The judgment model's training data: the hand-written files, expanded, augmented and split.

Everything here is deterministic: templates are sampled, typos made and messages composed with
random generators seeded from the example text itself, and the held-out split is chosen by a hash of
the source line, so that every expansion of one line lands on the same side of the split.
"""

from __future__ import annotations

import itertools
import random
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.domain.nlu.api import LANGUAGES, Label

TRAINING_DIR = Path(__file__).resolve().parents[1] / "domain" / "nlu" / "training"
OTHER = "other"
MAX_EXPANSIONS = 8
TEST_SHARE = 0.15
# Changing the salt draws a fresh held-out split (do it when the old one was read while writing data).
SPLIT_SALT = "split-2"
_SLOT = re.compile(r"\{(\w+)\}")
_COUNT = re.compile(r"\s+\*(\d+)$")  # "template line *40": sample 40 combinations instead of 8


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    labels: frozenset[Label]
    language: str  # one of LANGUAGES, or OTHER
    group: str  # the source line: expansions and variants of one line share it
    origin: str = "hand"  # hand | template | typo | composed | bitext


def _seed(*parts: str) -> int:
    return zlib.crc32("\x1f".join(parts).encode("utf-8"))


def parse_file(path: Path) -> list[Example]:
    language = path.stem.split("-")[0]  # "en.txt", "en-hard.txt": English
    slots: dict[str, list[str]] = {}
    labels: frozenset[Label] | None = None
    out: list[Example] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{path.name}:{number}"
        if line.startswith("@"):
            name, _, values = line[1:].partition("=")
            slots[name.strip()] = [v.strip() for v in values.split("|") if v.strip()]
            continue
        if line.startswith("[") and line.endswith("]"):
            try:
                labels = frozenset(Label(v.strip()) for v in line[1:-1].split("+"))
            except ValueError as exc:
                raise ValueError(f"{where}: unknown label in {line} ({exc})") from exc
            continue
        if labels is None:
            raise ValueError(f"{where}: example before any [label] section")
        count = _COUNT.search(line)
        cap = int(count.group(1)) if count else MAX_EXPANSIONS
        line = _COUNT.sub("", line)
        names = _SLOT.findall(line)
        if not names:
            out.append(Example(line, labels, language, where))
            continue
        missing = [n for n in names if n not in slots]
        if missing:
            raise ValueError(f"{where}: undefined slot(s) {', '.join(missing)}")
        out.extend(Example(t, labels, language, where, "template") for t in _expand(line, names, slots, cap))
    return out


def _expand(line: str, names: list[str], slots: dict[str, list[str]], cap: int = MAX_EXPANSIONS) -> list[str]:
    unique = list(dict.fromkeys(names))
    combos = list(itertools.product(*(slots[n] for n in unique)))
    rng = random.Random(_seed(line))
    if len(combos) > cap:
        combos = rng.sample(combos, cap)
    texts = []
    for combo in combos:
        values = dict(zip(unique, combo, strict=True))
        texts.append(_SLOT.sub(lambda m, v=values: v[m.group(1)], line))  # type: ignore[misc]
    return texts


def load_examples(directory: Path = TRAINING_DIR) -> list[Example]:
    files = sorted(directory.glob("*.txt"))
    unknown = [f.name for f in files if f.stem.split("-")[0] not in (*LANGUAGES, OTHER)]
    if unknown:
        raise ValueError(f"training files must be named after a language: {', '.join(unknown)}")
    return [ex for f in files for ex in parse_file(f)]


def typo(text: str, rng: random.Random) -> str:
    """One keyboard slip in a word of 4+ letters: a swap, a drop or a doubled letter."""
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        w = w[: j - 1] + w[j] + w[j - 1] + w[j + 1 :]
    elif kind == 1:
        w = w[:j] + w[j + 1 :]
    else:
        w = w[:j] + w[j] + w[j:]
    words[i] = w
    return " ".join(words)


def augment(
    examples: Iterable[Example], *, typo_share: float = 0.35, composed_share: float = 0.3
) -> list[Example]:
    """The examples, plus typo variants and two-sentence messages made of two examples."""
    base = list(examples)
    out = list(base)
    for ex in base:
        rng = random.Random(_seed("typo", ex.text))
        if rng.random() < typo_share:
            variant = typo(ex.text, rng)
            if variant != ex.text:
                out.append(Example(variant, ex.labels, ex.language, ex.group, "typo"))
    by_language: dict[str, list[Example]] = {}
    for ex in base:
        by_language.setdefault(ex.language, []).append(ex)
    for language, pool in sorted(by_language.items()):
        rng = random.Random(_seed("compose", language))
        routine = [e for e in pool if e.labels == {Label.ROUTINE}]
        for _ in range(int(len(pool) * composed_share)):
            first = rng.choice(routine) if routine and rng.random() < 0.6 else rng.choice(pool)
            second = rng.choice(pool)
            if rng.random() < 0.5:
                first, second = second, first
            labels = (first.labels | second.labels) - {Label.ROUTINE} or frozenset({Label.ROUTINE})
            text = f"{_sentence(first.text)} {_sentence(second.text)}"
            out.append(Example(text, labels, language, f"{first.group}&{second.group}", "composed"))
    return out


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[0].upper() + text[1:] if text else text
    return text if text[-1:] in ".!?" else text + "."


def is_test(group: str, share: float = TEST_SHARE) -> bool:
    """Whether a source line (or a composed pair of lines) belongs to the held-out split."""
    return any((zlib.crc32(f"{SPLIT_SALT}:{g}".encode()) % 1000) < share * 1000 for g in group.split("&"))


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def split(examples: Iterable[Example], share: float = TEST_SHARE) -> tuple[list[Example], list[Example]]:
    """(train, held-out) by source line; a text that also occurs in the held-out split (the same
    sentence written twice, in two files) is kept out of training."""
    train: list[Example] = []
    test: list[Example] = []
    for ex in examples:
        (test if is_test(ex.group, share) else train).append(ex)
    held = {_key(ex.text) for ex in test}
    return [ex for ex in train if _key(ex.text) not in held], test


def sample(examples: list[Example], n: int, seed: int = 0) -> list[Example]:
    """A deterministic sample with every label of the full set kept (for quick training runs)."""
    rng = random.Random(seed)
    picked: list[Example] = []
    for label in Label:
        having = [e for e in examples if label in e.labels]
        picked.extend(rng.sample(having, min(len(having), max(2, n // len(Label)))))
    return list(dict.fromkeys(picked))


def iter_labels(examples: Iterable[Example]) -> Iterator[tuple[Label, int]]:
    counts: dict[Label, int] = dict.fromkeys(Label, 0)
    for ex in examples:
        for label in ex.labels:
            counts[label] += 1
    yield from counts.items()
