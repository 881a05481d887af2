"""Phrase and regex matching of one trigger's word lists against a message (pure)."""

from __future__ import annotations

import re

from bot.domain.triggers.analysis import Hit
from bot.domain.triggers.phrases import negates_wish
from bot.domain.triggers.spec import TriggerSpec
from bot.domain.triggers.text import CLAUSE_PUNCT, Normalised

# Words in double quotes inside a sentence are someone's words or a name ('clicked "cancel my
# subscription"', 'an article titled "What to do if your account was hacked"'): the phrase rules skip
# them. (Quoted lines, reported speech, forwarded text and code are already gone: visible_text().)
_QUOTED = re.compile(r"[\"“„«]([^\"“”„«»\n]{3,400})[\"”“»]")


def unquoted(text: str) -> str:
    return _QUOTED.sub(" ", text) if '"' in text or "“" in text or "«" in text or "„" in text else text


def _head(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def clause_start(tokens: tuple[str, ...], idx: int) -> int:
    i = idx
    while i > 0 and tokens[i - 1] not in CLAUSE_PUNCT and tokens[i - 1] != "but":
        i -= 1
    return i


def clause_end(tokens: tuple[str, ...], idx: int) -> int:
    i = idx
    while i + 1 < len(tokens) and tokens[i + 1] not in CLAUSE_PUNCT and tokens[i + 1] != "but":
        i += 1
    return i


def phrase_hits(spec: TriggerSpec, norm: Normalised, raw: str) -> list[Hit]:
    """At most one hit: the first phrase (or else regex) of the rule found in the message."""
    m = spec.matcher
    if m is None:
        return []
    text = norm.text
    hits: list[Hit] = []
    if m.phrases is not None and (m.anchors is None or not m.anchors.isdisjoint(norm.words)):
        for match in m.phrases.finditer(text):
            idx = text.count(" ", 0, match.start()) if match.start() else 0
            last = idx + match.group(0).count(" ")
            if spec.negation:
                start = clause_start(norm.tokens, idx)
                if negates_wish(norm.tokens[start:idx], norm.tokens[idx]):
                    continue
            first_q = max(clause_start(norm.tokens, idx), idx - 3)
            last_q = min(clause_end(norm.tokens, last), last + 3)
            hits.append(Hit(spec.id, norm.quote(first_q, last_q, context=0), match.group(0)))
            break  # one hit per rule and message is enough evidence
    if not hits:
        for rx in m.regexes:
            found = rx.search(raw)
            if found:
                a, b = found.span()
                a2 = max(0, raw.rfind(" ", 0, max(0, a - 30)) + 1) if a > 30 else 0
                b2 = raw.find(" ", min(len(raw), b + 30))
                quote = raw[a2 : b2 if b2 != -1 else len(raw)].strip()
                hits.append(Hit(spec.id, _head(quote, 200), found.group(0)[:100]))
                break
    if hits and m.unless is not None and m.unless.search(text):
        return []
    return hits
