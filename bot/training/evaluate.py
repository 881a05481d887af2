"""Measure a trained model on examples it never saw: per-label precision and recall, calibration,
language identification, and how often routine messages would fire a label."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.domain.nlu.api import Classifier, Label
from bot.training.data import OTHER, Example

THRESHOLD = 0.5
BINS = 10


@dataclass
class LabelStats:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def support(self) -> int:
        return self.tp + self.fn


@dataclass
class Report:
    n: int = 0
    labels: dict[Label, LabelStats] = field(default_factory=lambda: {label: LabelStats() for label in Label})
    language_right: int = 0
    language_total: int = 0
    routine_total: int = 0
    routine_fired: int = 0  # routine messages where any other label reached THRESHOLD
    escalate_total: int = 0
    escalate_caught: int = 0  # non-routine messages where one of their labels reached THRESHOLD
    ece: float = 0.0
    per_language: dict[str, list[int]] = field(default_factory=dict)  # lang -> [caught, total]

    def lines(self) -> list[str]:
        out = [f"{'label':<18} {'precision':>9} {'recall':>7} {'support':>8}"]
        for label, s in self.labels.items():
            out.append(f"{label.value:<18} {s.precision:>9.3f} {s.recall:>7.3f} {s.support:>8}")
        out.append(f"messages: {self.n}; expected calibration error: {self.ece:.3f}")
        out.append(
            f"non-routine caught (any own label >= {THRESHOLD}): {self.escalate_caught}/{self.escalate_total}; "
            f"routine firing a label: {self.routine_fired}/{self.routine_total}"
        )
        out.append(f"language identified: {self.language_right}/{self.language_total}")
        out.append(
            "caught per language: "
            + ", ".join(f"{k} {c}/{t}" for k, (c, t) in sorted(self.per_language.items()))
        )
        return out


def evaluate(classifier: Classifier, examples: Sequence[Example]) -> Report:
    report = Report()
    bins = [[0.0, 0.0, 0] for _ in range(BINS)]  # sum p, sum y, count
    for ex in examples:
        if ex.language == OTHER:
            continue
        pred = classifier.predict(ex.text)
        report.n += 1
        report.language_total += 1
        report.language_right += pred.language == ex.language
        for label in Label:
            p = pred.score(label)
            y = label in ex.labels
            s = report.labels[label]
            if p >= THRESHOLD and y:
                s.tp += 1
            elif p >= THRESHOLD:
                s.fp += 1
            elif y:
                s.fn += 1
            b = bins[min(BINS - 1, int(p * BINS))]
            b[0] += p
            b[1] += y
            b[2] += 1
        fired = {label for label in Label if label is not Label.ROUTINE and pred.score(label) >= THRESHOLD}
        if ex.labels == {Label.ROUTINE}:
            report.routine_total += 1
            report.routine_fired += bool(fired)
        else:
            report.escalate_total += 1
            caught = bool(fired & ex.labels)
            report.escalate_caught += caught
            lang = report.per_language.setdefault(ex.language, [0, 0])
            lang[0] += caught
            lang[1] += 1
    total = sum(b[2] for b in bins)
    report.ece = sum(abs(b[0] - b[1]) for b in bins if b[2]) / total if total else 0.0
    return report
