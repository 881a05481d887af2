"""The same question asked again: `times` askings, by the same words, by meaning, or by the dialogue.

Two ways an earlier customer question counts as the same as the latest one:

1. **Alike on its own** (anywhere in the last LOOKBACK questions): the sorted words are at least
   `similarity`% alike (rapidfuzz), or the cosine of the model's meaning vectors is at least `semantic`.
2. **The dialogue says so** (the run of questions the AI did not answer): going back from the latest
   question, each step back passes an answer the AI was unsure of (every AI answer in between below
   `answered_at`; no answer at all counts too), or the newer question says it asks again ("again",
   "I'm asking if", "yes or no", "Ich frage zum dritten Mal", "Pergunto de novo", "Je reformule"...:
   reasking.py). In that run an earlier question counts when its stemmed content words overlap one
   already counted by at least `overlap` (terms.py), or when the question right after it says it
   asks again; two questions that differ by exactly one term each way ("export contacts" / "export
   deals") are siblings, not the same. A question that takes the answer and asks something else ("ok,
   and how do I make the user an admin?", "thanks. can I also ...?", "gracias, ¿y ...?") starts a
   run of its own. The run ends at a confident answer (unless the next question says it asks again), at
   the customer's "thanks, that worked", and after LOOKBACK questions.

So "how do I export contacts / deals / tasks?" with confident answers stays routine (different
objects, answered), while "how do I move my projects to another workspace?" -> unsure answer -> "how
do I transfer existing projects into a different workspace?" -> unsure answer -> "again: is there any
way to get my projects over?" counts three askings.

Incremental: only the latest question is compared, with at most LOOKBACK earlier ones (the run's
overlap check compares each with the ones counted, at most LOOKBACK² term-set intersections), so a
new message costs the same at turn 300 as at turn 20; an earlier repetition fired when it was asked,
as decide() runs after every message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from operator import mul

from rapidfuzz import fuzz

from bot.domain.model import Evidence, FiredTrigger
from bot.domain.triggers.analysis import Hit, MessageAnalysis
from bot.domain.triggers.detectors.base import ConversationView, Detector, MessageInput, Turn, fired, head
from bot.domain.triggers.detectors.reasking import says_asked_again, says_new_question
from bot.domain.triggers.spec import DetectorKind, Family, TriggerSpec
from bot.domain.triggers.terms import overlap
from bot.domain.triggers.values import Param, ParamKind

LOOKBACK = 20  # earlier customer questions compared with the latest one
NEW_QUESTION = "(a new question)"  # the Hit detail of "ok, and how do I ...?": the answer was taken


def cosine(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Cosine of two L2-normalised vectors (0 when either is missing or they differ in size)."""
    if not a or len(a) != len(b):
        return 0.0
    return sum(map(mul, a, b))


def _alike(new: MessageAnalysis, old: MessageAnalysis, similarity: float, semantic: float) -> str:
    if fuzz.ratio(new.fingerprint, old.fingerprint, score_cutoff=similarity):
        return "words"
    if new.vector and cosine(new.vector, old.vector) >= semantic:
        return "meaning"
    return ""


def _same_topic(a: tuple[str, ...], b: tuple[str, ...], need: float) -> bool:
    """Enough terms in common, and not the same question about another thing: "how do I export
    contacts?" / "how do I export deals?" differ by one term each way (siblings, not a repetition)."""
    if overlap(a, b) < need:
        return False
    shared = len(set(a).intersection(b))
    return not (len(a) - shared == 1 and len(b) - shared == 1)


class RepeatedQuestion(Detector):
    kind = DetectorKind.REPEATED_QUESTION
    family = Family.BEHAVIORAL
    params = {
        "times": Param(ParamKind.INT, 2, 100, per_segment=True),
        "similarity": Param(ParamKind.FLOAT, 50, 100, per_segment=True),
        "semantic": Param(ParamKind.FLOAT, 0.3, 1, per_segment=True),
        "min_words": Param(ParamKind.INT, 1, 50),
        "answered_at": Param(ParamKind.FLOAT, 0, 1, per_segment=True, default=0.7),
        "overlap": Param(ParamKind.FLOAT, 0.05, 1, per_segment=True, default=0.25),
    }

    def scan(self, spec: TriggerSpec, msg: MessageInput) -> Iterable[Hit]:
        words = says_asked_again(msg.raw)
        if words:
            return [Hit(spec.id, head(msg.raw), words)]
        if says_new_question(msg.raw):
            return [Hit(spec.id, head(msg.raw), NEW_QUESTION)]
        return ()

    def fire(self, spec: TriggerSpec, segment: str, view: ConversationView) -> FiredTrigger | None:
        times, sim, sem, min_words = (
            spec.param("times", segment),
            spec.param("similarity", segment),
            spec.param("semantic", segment),
            spec.param("min_words", segment),
        )
        latest_at = next(
            (
                i
                for i in range(len(view.conv) - 1, -1, -1)
                if view.conv[i][1].role == "customer" and view.conv[i][1].words >= min_words
            ),
            -1,
        )
        if latest_at < 0:
            return None
        m, a = view.conv[latest_at]
        said = view.hits.get(spec.id, ())
        asks_again = {msg.ref: h.detail for msg, h in said if h.detail != NEW_QUESTION}
        new_questions = {msg.ref for msg, h in said if h.detail == NEW_QUESTION}

        strong, how = 1, set[str]()
        run = self._run(
            view.conv, latest_at, min_words, spec.param("answered_at", segment), asks_again, new_questions
        )
        seen = 0
        for _, old in reversed(view.conv[:latest_at]):
            if old.role != "customer" or old.words < min_words:
                continue
            seen += 1
            if seen > LOOKBACK:
                break
            by = _alike(a, old, sim, sem)
            if by:
                strong += 1
                how.add(by)
        by_dialogue = self._count(run, spec.param("overlap", segment), asks_again)
        n = max(strong, by_dialogue)
        if n < times:
            return None
        if by_dialogue > strong:
            words = asks_again.get(m.ref)
            detail = f"asked {n} times (the same in other words, after answers the AI was unsure of"
            detail += f"; “{words}”)" if words else ")"
        else:
            detail = f"asked {n} times" + (" (the same in other words)" if "meaning" in how else "")
        ev = Evidence(quote=a.head, message_ref=m.ref, score=float(n), threshold=float(times), detail=detail)
        return fired(spec, segment, [ev])

    @staticmethod
    def _run(
        conv: Sequence[Turn],
        latest_at: int,
        min_words: int,
        answered_at: float,
        asks_again: dict[str, str],
        new_questions: set[str],
    ) -> list[Turn]:
        """The latest question and the earlier ones the AI did not answer confidently, newest first.
        A question that takes the answer and asks something else ("ok, and how do I ...?") is where
        the run starts: nothing before it is the same question."""
        turns = conv[: latest_at + 1]
        run: list[Turn] = [turns[latest_at]]
        if turns[latest_at][0].ref in new_questions:
            return run
        newer_asks_again = turns[latest_at][0].ref in asks_again
        answered = False
        for old_m, old in reversed(turns[:latest_at]):
            if old.role == "ai":
                if old.confidence is None or old.confidence >= answered_at:
                    answered = True
                continue
            if old.role != "customer":
                break
            if old.resolved:
                break
            if old.words < min_words:
                continue
            if answered and not newer_asks_again:
                break
            run.append((old_m, old))
            if len(run) > LOOKBACK or old_m.ref in new_questions:
                break
            newer_asks_again, answered = old_m.ref in asks_again, False
        return run

    @staticmethod
    def _count(run: list[Turn], need: float, asks_again: dict[str, str]) -> int:
        """How many questions of the run are the latest one asked again (the latest included)."""
        # The questions linked to the latest one, directly or through another question of the run
        # (at most LOOKBACK + 1 of them): "the invoice to our parent company" -> "the company name on
        # them is wrong" -> "can you change who the invoice is made out to?".
        counted = {0}
        grew = True
        while grew:
            grew = False
            for i in range(1, len(run)):
                if i in counted:
                    continue
                old = run[i][1]
                newer_says_so = (i - 1) in counted and run[i - 1][0].ref in asks_again
                if newer_says_so or any(_same_topic(old.terms, run[c][1].terms, need) for c in counted):
                    counted.add(i)
                    grew = True
        return len(counted)
