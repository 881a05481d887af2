"""Text normalisation shared by every detector: one pass per message, then cheap matching.

`normalise()` lower-cases, expands contractions and chat shorthand ("can't" -> "can not", "u" -> "you",
"wanna" -> "want to"), splits words glued to a leading "to" ("tocontact"), corrects typos of the words
the human-request grammar depends on (rapidfuzz OSA distance, see `correct_token`), and keeps clause
punctuation as separate tokens so that a pattern never matches across a clause boundary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA
from rapidfuzz.process import extractOne

# Clause boundaries are kept as tokens; everything else that is not a word character is dropped.
CLAUSE_PUNCT = frozenset({".", ",", "!", "?", ";", ":"})
_TOKEN_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[.,!?;:]")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})

# Contractions and chat shorthand, token -> replacement tokens.
_EXPANSIONS: dict[str, tuple[str, ...]] = {
    "can't": ("can", "not"),
    "cant": ("can", "not"),
    "cannot": ("can", "not"),
    "won't": ("will", "not"),
    "wont": ("will", "not"),
    "don't": ("do", "not"),
    "dont": ("do", "not"),
    "doesn't": ("does", "not"),
    "doesnt": ("does", "not"),
    "didn't": ("did", "not"),
    "didnt": ("did", "not"),
    "isn't": ("is", "not"),
    "isnt": ("is", "not"),
    "aren't": ("are", "not"),
    "arent": ("are", "not"),
    "wasn't": ("was", "not"),
    "wasnt": ("was", "not"),
    "weren't": ("were", "not"),
    "haven't": ("have", "not"),
    "havent": ("have", "not"),
    "hasn't": ("has", "not"),
    "hasnt": ("has", "not"),
    "hadn't": ("had", "not"),
    "couldn't": ("could", "not"),
    "couldnt": ("could", "not"),
    "wouldn't": ("would", "not"),
    "wouldnt": ("would", "not"),
    "shouldn't": ("should", "not"),
    "shouldnt": ("should", "not"),
    "mustn't": ("must", "not"),
    "needn't": ("need", "not"),
    "ain't": ("is", "not"),
    "i'm": ("i", "am"),
    "im": ("i", "am"),
    "i've": ("i", "have"),
    "ive": ("i", "have"),
    "i'd": ("i", "would"),
    "i'll": ("i", "will"),
    "it's": ("it", "is"),
    "that's": ("that", "is"),
    "thats": ("that", "is"),
    "what's": ("what", "is"),
    "whats": ("what", "is"),
    "there's": ("there", "is"),
    "theres": ("there", "is"),
    "you're": ("you", "are"),
    "youre": ("you", "are"),
    "you've": ("you", "have"),
    "let's": ("let", "us"),
    "wanna": ("want", "to"),
    "gonna": ("going", "to"),
    "gotta": ("got", "to"),
    "hafta": ("have", "to"),
    "lemme": ("let", "me"),
    "gimme": ("give", "me"),
    "u": ("you",),
    "ya": ("you",),
    "yu": ("you",),
    "uare": ("you", "are"),
    "ur": ("your",),
    "yr": ("your",),
    "r": ("are",),
    "pls": ("please",),
    "plz": ("please",),
    "plse": ("please",),
    "thx": ("thanks",),
    "ty": ("thanks",),
    "w": ("with",),
    "smb": ("somebody",),
    "sb": ("somebody",),
    "sm1": ("someone",),
    "some1": ("someone",),
    "any1": ("anyone",),
    "ppl": ("people",),
    "rep": ("representative",),
    "reps": ("representatives",),
    "convo": ("conversation",),
    "asap": ("now",),
    "uhelp": ("you", "help"),
    "tto": ("to",),
    "wit": ("with",),
    "wth": ("with",),
    "whit": ("with",),
    "utell": ("you", "tell"),
}

# Words whose typos matter to the human-request grammar. A token within the OSA distance of one of
# these (and not itself a known word) is read as that word.
FUZZY_TARGETS: tuple[str, ...] = (
    "agent",
    "agents",
    "human",
    "humans",
    "person",
    "someone",
    "somebody",
    "operator",
    "representative",
    "assistant",
    "supervisor",
    "manager",
    "employee",
    "speak",
    "speaking",
    "talking",
    "chatting",
    "contact",
    "contacting",
    "transfer",
    "connect",
    "escalate",
    "please",
    "with",
    "talk",
    "chat",
    "helping",
    "helpful",
    "useless",
)

# Real words close to a target that must never be "corrected" into it.
PROTECTED_WORDS: frozenset[str] = frozenset(
    [
        "agency",
        "agenda",
        "agents",
        "urgent",
        "argent",
        "humane",
        "humor",
        "humid",
        "humans",
        "person",
        "persons",
        "personal",
        "persona",
        "prison",
        "poison",
        "season",
        "reason",
        "lesson",
        "parson",
        "someone's",
        "somehow",
        "sometime",
        "something",
        "sometimes",
        "somewhat",
        "operators",
        "operation",
        "operations",
        "operate",
        "cooperator",
        "representatives",
        "representation",
        "represent",
        "assistants",
        "assistance",
        "assistant's",
        "resistant",
        "supervisors",
        "managers",
        "manage",
        "managed",
        "managing",
        "manager's",
        "employees",
        "employer",
        "employed",
        "employ",
        "speaks",
        "speaker",
        "speech",
        "spend",
        "spent",
        "sneak",
        "steak",
        "spoke",
        "spoken",
        "talked",
        "talker",
        "walking",
        "taking",
        "tasking",
        "talkin",
        "stalking",
        "chatted",
        "chatter",
        "matting",
        "patting",
        "batting",
        "contacts",
        "contacted",
        "contract",
        "contracts",
        "contain",
        "contains",
        "contexts",
        "content",
        "transfers",
        "transferred",
        "transform",
        "connects",
        "connected",
        "connection",
        "correct",
        "collect",
        "escalated",
        "escalates",
        "escalation",
        "pleased",
        "plead",
        "pleas",
        "pleasant",
        "please's",
        "helpings",
        "helpful",
        "helpless",
        "helped",
        "yelping",
        "useful",
        "uses",
        "user",
        "users",
        "used",
        "using",
        "useless's",
        "careless",
    ]
) | frozenset(
    [
        "wish",
        "withe",
        "witch",
        "width",
        "within",
        "without",
        "worth",
        "wits",
        "whit",
        "talks",
        "tall",
        "tale",
        "task",
        "walk",
        "stalk",
        "chalk",
        "chats",
        "chart",
        "cheat",
        "chap",
        "that",
        "what",
    ]
)

_SPLIT_PREFIXES = ("to", "a", "an", "the")


@lru_cache(maxsize=65536)
def correct_token(token: str) -> str:
    """The fuzzy-target word this token is a typo of, or the token itself.

    A token is corrected only when it is at least 4 characters long, is not a protected real word,
    starts with the target's first letter and is within OSA distance 1 of it (2 for targets of 8+
    characters). OSA counts a transposition ("agnet") as one edit.
    """
    if len(token) < 4 or token in _TARGET_SET or token in PROTECTED_WORDS or not token.isalpha():
        return token
    best = extractOne(token, _CHOICES, scorer=OSA.distance, score_cutoff=2)
    if best is None:
        return token
    target, dist, _ = best
    if target in PROTECTED_WORDS:
        return token  # closer to a real word than to a target: "assistanec" is assistance, not assistant
    limit = 2 if len(target) >= 8 else 1
    first_ok = target[0] == token[0] or (token[:2] == target[1::-1])  # "ocntact": first two swapped
    if len(target) <= 4 and token[:2] != target[:2] and sorted(token) != sorted(target):
        return token  # short words: a swap ("tlak") or a typo past the first two letters ("wiht") only
    if dist <= limit and first_ok and abs(len(target) - len(token)) <= limit:
        return target
    return token


_TARGET_SET = frozenset(FUZZY_TARGETS)
PROTECTED_WORDS = PROTECTED_WORDS - _TARGET_SET
# Targets first: on equal distance a target wins, so that a typo is never blocked by a far real word.
_CHOICES: tuple[str, ...] = FUZZY_TARGETS + tuple(sorted(PROTECTED_WORDS))


def _split_glued(token: str) -> tuple[str, ...]:
    """'tocontact' -> ('to', 'contact') when the remainder is a known target word."""
    for prefix in _SPLIT_PREFIXES:
        if token.startswith(prefix) and len(token) > len(prefix) + 3:
            rest = token[len(prefix) :]
            if rest in _TARGET_SET or correct_token(rest) != rest:
                return (prefix, correct_token(rest))
    return (token,)


@dataclass(frozen=True, slots=True)
class Normalised:
    tokens: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]  # per token: where its source word is in the original text
    source: str
    text: str = ""  # the tokens joined by single spaces: what phrase rules match against
    words: frozenset[str] = frozenset()  # the distinct tokens, for cheap "can this rule match?" checks

    def clauses(self) -> list[tuple[int, tuple[str, ...]]]:
        """(index of first token, tokens) of each run between clause punctuation (and before "but")."""
        out: list[tuple[int, tuple[str, ...]]] = []
        cur: list[str] = []
        start = 0
        for i, tok in enumerate(self.tokens):
            if tok in CLAUSE_PUNCT or tok == "but":
                if cur:
                    out.append((start, tuple(cur)))
                cur = []
                start = i + 1
            else:
                cur.append(tok)
        if cur:
            out.append((start, tuple(cur)))
        return out

    def quote(self, first: int, last: int, context: int = 3, limit: int = 200) -> str:
        """The customer's own words for tokens first..last (inclusive), with a little context."""
        if not self.tokens:
            return ""
        a = max(0, first - context)
        b = min(len(self.tokens) - 1, last + context)
        text = self.source[self.spans[a][0] : self.spans[b][1]].strip()
        if len(text) > limit:
            text = text[: limit - 1].rstrip() + "\u2026"
        return text


@lru_cache(maxsize=8192)
def normalise(text: str, fuzzy: bool = True) -> Normalised:
    """Tokens of `text`: lower case, contractions expanded, typos of key words corrected."""
    lowered = text.translate(_APOSTROPHES).lower()
    if len(lowered) != len(text):  # a rare Unicode case change altered lengths: quote the lowered text
        text = lowered
    tokens: list[str] = []
    spans: list[tuple[int, int]] = []
    for m in _TOKEN_RE.finditer(lowered):
        raw = m.group(0)
        span = m.span()
        if raw.endswith("'s") and raw not in _EXPANSIONS:
            raw = raw[:-2]
        expanded = _EXPANSIONS.get(raw)
        if expanded is not None:
            out: tuple[str, ...] = expanded
        else:
            raw = raw.replace("'", "")
            if not fuzzy:
                out = (raw,)
            else:
                fixed = correct_token(raw)
                out = _split_glued(raw) if fixed == raw and raw not in _TARGET_SET else (fixed,)
        tokens.extend(out)
        spans.extend([span] * len(out))
    return Normalised(tuple(tokens), tuple(spans), text, " ".join(tokens), frozenset(tokens))


def shout_ratio(text: str) -> tuple[float, int]:
    """(share of upper-case letters, number of letters) of a message."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0, 0
    upper = sum(1 for c in letters if c.isupper())
    return upper / len(letters), len(letters)


def fingerprint(tokens: tuple[str, ...]) -> tuple[str, int]:
    """(the message's words, sorted, without punctuation; how many content words), for the repetition
    check: comparing sorted words makes "my order 123, where is it" match "where is my order 123"."""
    words = sorted(t for t in tokens if t not in CLAUSE_PUNCT)
    return " ".join(words), sum(1 for t in words if t not in _STOPWORDS)


# Words that do not make a message a question of its own ("ok thanks", "yes please").
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "i",
        "me",
        "my",
        "we",
        "our",
        "you",
        "your",
        "it",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "am",
        "do",
        "does",
        "did",
        "to",
        "of",
        "in",
        "on",
        "at",
        "for",
        "with",
        "and",
        "or",
        "but",
        "so",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "please",
        "can",
        "could",
        "would",
        "will",
        "should",
        "just",
        "now",
        "again",
        "still",
        "hi",
        "hello",
        "hey",
        "thanks",
        "thank",
        "ok",
        "okay",
        "yes",
        "no",
        "yeah",
        "yep",
        "nope",
        "sure",
        "fine",
        "right",
        "great",
        "cool",
    ]
)
