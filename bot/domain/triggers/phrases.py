"""Phrase grammar: the explicit request for a human, negation scope, indirect speech, phrase rules.

Everything here works on the tokens of `text.normalise()`, one clause at a time, so a pattern never
spans a full stop or a comma. A match is a `Hit`: the trigger it supports and the words it quotes.

The human request is recognised by general rules rather than by a list of sentences:
  R1  a contact verb followed by a person noun:   "talk to a real person", "connect me with an operator"
  R2  a desire verb followed by a person noun:    "I want an agent", "get me a human", "ask for a supervisor"
  R3  a clause that is only a person noun:        "agent", "human please", "representative!!"
  R4  a handover verb without a person noun:      "transfer me", "escalate this", "put me through"
  R5  a person noun asked to contact the customer: "have someone call me", "a human should contact me"
  R6  an existential question:                    "is there a human I can talk to?", "anyone there?"
and then rejected when
  N   the clause negates the wish ("I don't need a human", "no need for an agent", "I would not like to
      talk to a person", "without talking to an agent") - but not when it negates an ability, which is
      frustration, a stronger request ("I can't reach a human", "I don't know how to contact an agent");
  D   the person is only the go-between of a routine question, indirect speech ("could you ask an agent
      how I change my address?", "check with a human whether...", "contact an agent and ask how to...");
  Q   the customer asks whether a human is required ("do I need to talk to an agent to cancel?").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.domain.triggers.analysis import Hit
from bot.domain.triggers.text import Normalised

PERSON_NOUNS = [
    "agent",
    "agents",
    "human",
    "humans",
    "person",
    "persons",
    "people",
    "someone",
    "somebody",
    "anyone",
    "anybody",
    "operator",
    "operators",
    "representative",
    "representatives",
    "assistant",
    "supervisor",
    "supervisors",
    "manager",
    "managers",
    "employee",
    "employees",
    "staff",
    "specialist",
    "specialists",
    "advisor",
    "adviser",
    "consultant",
    "technician",
    "engineer",
    "being",
]
# Nouns for a team rather than a person: they count only after a contact verb (R1).
SERVICE_NOUNS = ["support", "service", "assistance", "care", "helpdesk", "desk", "team"]
CONTACT_VERBS = [
    "talk",
    "talking",
    "speak",
    "speaking",
    "chat",
    "chatting",
    "contact",
    "contacting",
    "reach",
    "reaching",
    "call",
    "calling",
    "phone",
    "phoning",
    "ring",
    "connect",
    "connecting",
    "transfer",
    "transferring",
    "escalate",
    "escalating",
    "put",
    "pass",
    "hand",
    "ask",
    "asking",
    "message",
    "messaging",
    "email",
    "emailing",
    "be connected",
    "be transferred",
    "get connected",
    "get transferred",
    "be put through",
]
DESIRE_VERBS = [
    "want",
    "wanna",
    "need",
    "needing",
    "get",
    "getting",
    "give",
    "request",
    "requesting",
    "require",
    "demand",
    "prefer",
]
# Words allowed between a verb and its person noun ("speak with one of your real live agents").
FILLER = [
    "to",
    "with",
    "into",
    "through",
    "thru",
    "me",
    "us",
    "over",
    "across",
    "in",
    "touch",
    "hold",
    "of",
    "a",
    "an",
    "the",
    "some",
    "any",
    "your",
    "our",
    "one",
    "real",
    "live",
    "actual",
    "human",
    "proper",
    "physical",
    "genuine",
    "flesh",
    "and",
    "blood",
    "other",
    "another",
    "different",
    "actually",
    "customer",
    "support",
    "service",
    "senior",
    "more",
    "experienced",
    "qualified",
    "technical",
    "tech",
    "billing",
    "account",
    "sales",
    "on",
    "line",
    "phone",
    "for",
    "just",
    "please",
    "now",
    "right",
    "immediately",
    "directly",
    "straight",
    "up",
    "back",
]
PROFANITY = [
    "fuck",
    "fucking",
    "fucked",
    "fuckin",
    "fck",
    "fcking",
    "f",
    "freaking",
    "frigging",
    "effing",
    "shit",
    "shitty",
    "bullshit",
    "crap",
    "crappy",
    "damn",
    "damned",
    "dammit",
    "goddamn",
    "goddamned",
    "bloody",
    "hell",
    "ass",
    "asshole",
    "bastard",
    "bitch",
    "wtf",
    "stfu",
    "piss",
    "pissed",
    "bollocks",
    "bugger",
    "sucks",
]

NEGATORS = frozenset({"not", "no", "never", "without", "nor"})
ARTICLES = frozenset({"a", "an", "the"})
ABILITY = frozenset({"can", "could", "able", "unable"})
# A negated wish: "don't want", "not asking for", "would not like", "don't think I need".
WISH_WORDS = frozenset(
    [
        "want",
        "wanna",
        "need",
        "needed",
        "needing",
        "wish",
        "require",
        "required",
        "requiring",
        "like",
        "care",
        "ask",
        "asking",
        "asked",
        "request",
        "requesting",
        "requested",
        "looking",
        "going",
        "planning",
        "plan",
        "intend",
        "intending",
        "trying",
        "think",
        "believe",
        "suppose",
        "expect",
        "necessary",
        "necessarily",
        "mean",
        "have",
        "interested",
    ]
)
SKIP_ADVERBS = frozenset(
    [
        "really",
        "even",
        "actually",
        "necessarily",
        "currently",
        "yet",
        "at",
        "all",
        "any",
        "more",
        "longer",
        "i",
    ]
)
WH_WORDS = frozenset(
    [
        "how",
        "what",
        "when",
        "where",
        "why",
        "which",
        "who",
        "whom",
        "whose",
        "whether",
        "if",
        "about",
        "regarding",
        "re",
        "for",
    ]
)
CALLBACK_VERBS = frozenset(
    [
        "call",
        "contact",
        "reach",
        "phone",
        "ring",
        "email",
        "message",
        "help",
        "assist",
        "join",
        "take",
        "handle",
        "look",
        "review",
        "check",
        "talk",
        "speak",
        "chat",
        "get",
    ]
)
INDIRECT_VERBS = frozenset({"ask", "asking", "tell", "get", "getting", "have", "let", "check", "consult"})

_P = "|".join(sorted(set(PERSON_NOUNS), key=len, reverse=True))
_S = "|".join(SERVICE_NOUNS)
_CV = "|".join(CONTACT_VERBS)
_DV = "|".join(DESIRE_VERBS)
_F = "|".join(sorted(set(FILLER + PROFANITY), key=len, reverse=True))
_GAP = rf"(?:(?:{_F}) ){{0,6}}"

_R1 = re.compile(rf"\b(?P<verb>{_CV}) {_GAP}(?P<noun>{_P})\b")
_R1S = re.compile(
    rf"\b(?P<verb>talk|talking|speak|speaking|chat|chatting|contact|contacting|reach|reaching|call|calling|phone|connect|transfer) {_GAP}(?:customer |tech |technical )?(?P<noun>{_S})\b"
)
_R2 = re.compile(rf"\b(?P<verb>{_DV}|ask for|asking for|looking for|have|like) {_GAP}(?P<noun>{_P})\b")
_R3 = re.compile(
    rf"^(?:(?:{_F}|hello|hi|hey|ok|okay|yes|sir) )*(?P<noun>{_P})(?: (?:{_F}|please|now|thanks|agent|human|person))*$"
)
_R4 = re.compile(
    r"\b(?P<verb>transfer me|transfer my (?:call|chat|case)|escalate (?:this|it|my (?:case|issue|ticket|problem))|"
    r"escalate$|put me through|hand me (?:over|off)|pass me (?:on|over|along)|"
    r"speak to (?:a |an )?(?:real|live) one|talk to (?:a |an )?(?:real|live) one)\b"
)
_R2B = re.compile(
    rf"\b(?P<verb>help|callback|call back|call|answer|support|assistance|reply|response) from (?:(?:{_F}) ){{0,4}}(?P<noun>{_P})\b"
)
_R5B = re.compile(
    rf"\b(?:can|could|will|would|please|may|need|want|have) (?:a |an |the |some |one of your )?(?:(?:real|live|actual) )?"
    rf"(?P<noun>{_P}) (?:please )?(?P<verb>help|assist|look at|look into|take a look|review|handle|check|call|contact|phone|"
    rf"sort out|deal with) (?:me|this|it|my|us|our)\b"
)
_R5 = re.compile(
    rf"\b(?P<noun>{_P}) (?:(?:to|should|must|please|can|could|will|would|who|that|needs|need|has|have) ){{0,3}}(?P<verb>call|contact|phone|ring|email|reach out to|get back to|get in touch with) me\b"
)
_R6 = re.compile(
    rf"(?:\b(?:is there|are there|is|are) |^)(?:a |an |any |some )?(?:real |actual |live )?(?P<noun>{_P}|anyone|anybody|someone|somebody)(?: (?:there|here|around|available|real|i can (?:talk|speak|chat) (?:to|with)))\b"
)
_RBOT = re.compile(
    r"\b(?:not|no|stop|hate|done with|sick of|tired of) (?:a |the |this |your |talking to (?:a |the |this )?)?(?:bot|robot|machine|ai|chatbot|automated)s?\b.*\b(?:human|person|agent|someone|somebody|people)\b"
)

_INFO_WORDS = frozenset(
    [
        "hours",
        "hour",
        "time",
        "times",
        "number",
        "numbers",
        "email",
        "address",
        "phone",
        "open",
        "opening",
        "availability",
        "schedule",
        "when",
        "weekend",
        "weekends",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "holidays",
        "holiday",
    ]
)
_REQUIREMENT_Q = re.compile(
    rf"^(?:so |and |but )?(?:do|does|would|will|should|must|shall) (?:i|we) (?:really )?(?:need|have|has) to (?:{_CV})\b"
)
_POST_NEGATION = re.compile(
    r"^(?: (?:is|are|will be|would be|would|will|is really))? (?:not|never) (?:needed|necessary|required|be needed|be necessary)\b|^ ?(?:no thanks|not needed|unnecessary)\b"
)
_POST_INDIRECT = re.compile(
    r"^(?:to )?(?:tell|explain|explain to|show|let|inform|teach) (?:me|us)(?: know)? (?:how|what|when|where|why|which|who|whether|if|about)\b|"
    r"^ ?and (?:ask|find out|check|see|learn|tell me)\b(?: (?:them|him|her|it))? (?:how|what|when|where|why|whether|if|about)\b"
)


def negates_wish(before: Sequence[str], match_first: str) -> bool:
    """Does a negator in `before` (the clause up to the match) negate the wish, not an ability?"""
    n = len(before)
    for i in range(max(0, n - 7), n):
        tok = before[i]
        if tok not in NEGATORS:
            continue
        if tok == "without":
            return True
        prev = before[i - 1] if i > 0 else ""
        if prev in ABILITY:
            continue  # "can not reach a human": frustration, still a request
        j = i + 1
        rest = list(before[j:]) + [match_first]
        k = 0
        while k < len(rest) - 1 and (rest[k] in SKIP_ADVERBS or rest[k] in ARTICLES):
            k += 1  # "not really", and "not a/an/the ..." ("this is not an outage")
        nxt = rest[k] if rest else ""
        if tok == "no" and k == len(rest) - 1:
            return True  # "no agent", "no human please"
        if nxt in WISH_WORDS or nxt == match_first:
            return True
    return False


def _indirect(verb: str, after: str) -> bool:
    """Is the person only the go-between for a question ("ask an agent how ...")?"""
    if _POST_INDIRECT.match(after):
        return True
    if verb.split()[0] not in INDIRECT_VERBS:
        return False
    words = after.split()
    if not words:
        return False
    first = words[0]
    if first == "to":
        second = words[1] if len(words) > 1 else ""
        return second not in CALLBACK_VERBS
    return first in WH_WORDS


def find_human_request(norm: Normalised) -> list[Hit]:
    """Every clause that explicitly asks for a human, with the customer's words that ask."""
    hits: list[Hit] = []
    for offset, clause in norm.clauses():
        s = " ".join(clause)
        if _REQUIREMENT_Q.match(s):
            continue
        for pattern, rule in (
            (_R2B, "R2"),
            (_R5B, "R5"),
            (_R1, "R1"),
            (_R1S, "R1"),
            (_R2, "R2"),
            (_R5, "R5"),
            (_R4, "R4"),
            (_R6, "R6"),
            (_R3, "R3"),
            (_RBOT, "R1"),
        ):
            m = pattern.search(s)
            if m is None:
                continue
            start_tok = s[: m.start()].count(" ") if m.start() else 0
            end_tok = start_tok + m.group(0).count(" ") + 1
            before = clause[:start_tok]
            first = clause[start_tok] if start_tok < len(clause) else ""
            if negates_wish(before, first):
                continue
            after = s[m.end() :]
            if _POST_NEGATION.match(after):
                continue
            if (pattern is _R1S or pattern is _R6) and _INFO_WORDS.intersection(clause):
                continue  # "what hours can I contact customer service": a question about the service
            verb = m.groupdict().get("verb") or ""
            if verb and _indirect(verb, after.strip()):
                continue
            first_q = offset + max(0, start_tok - 3)
            last_q = offset + min(len(clause), end_tok + 3) - 1
            hits.append(Hit("", norm.quote(first_q, last_q, context=0), rule))
            break
    return hits
