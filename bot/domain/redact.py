"""Mask personal data and secrets in customer text before a human or a file sees it.

Pure: text in, text out. Each kind of data is one small detector (a pattern plus an optional check,
e.g. Luhn for card numbers) in a registry keyed by `Kind`; a team's policy chooses which kinds are
masked (`redaction: {mask: [...]}`), and `Redactor` applies that choice to the card, the transcript
and exports.

Every pattern is anchored on a token boundary (a look-behind) so it starts at most once per word
and never backtracks into nested repetition: matching stays linear in the text's length whatever
the input (a megabyte of digits, of `a@a@a@`, of base64).
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.domain.errors import PolicyError


class Kind(StrEnum):
    """What a team can choose to mask (the policy's `redaction.mask` values)."""

    CARD_NUMBER = "card_number"  # payment card numbers that pass the Luhn check
    SECRET = "secret"  # API tokens and keys: Slack xox*/xapp-, Stripe sk_/pk_/rk_/whsec_, bearer, long keys
    EMAIL = "email"
    PHONE = "phone"


# Masked unless a team says otherwise: nobody handling an escalation needs a card number or an API key.
DEFAULT_KINDS: frozenset[Kind] = frozenset({Kind.CARD_NUMBER, Kind.SECRET})


@dataclass(frozen=True)
class Found:
    kind: Kind
    start: int
    end: int
    mask: str


Span = tuple[int, int, str]  # start, end, the mask that replaces text[start:end]


@dataclass(frozen=True)
class Detector:
    kind: Kind
    scan: Callable[[str], Iterator[Span]]


def _by_pattern(
    pattern: re.Pattern[str], mask: Callable[[re.Match[str]], str | None]
) -> Callable[[str], Iterator[Span]]:
    """A scan from a pattern and a check: `mask` gives the replacement, or None when the match is not
    really this kind."""

    def scan(text: str) -> Iterator[Span]:
        for m in pattern.finditer(text):
            replacement = mask(m)
            if replacement is not None:
                yield m.start(), m.end(), replacement

    return scan


# ---------------------------------------------------------------- checks


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum every payment card number carries."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(text)
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _digits(text: str) -> str:
    return "".join(ch for ch in text if "0" <= ch <= "9")


# ---------------------------------------------------------------- detectors

# A run of digit groups separated by single spaces or dashes ("4242 4242 4242 4242 123").
_DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z_])[0-9]+(?:[ -][0-9]+)*")
_GROUP = re.compile(r"[0-9]+")


def _is_card(digits: str) -> bool:
    return 13 <= len(digits) <= 19 and len(set(digits)) > 1 and luhn_ok(digits)


def _scan_cards(text: str) -> Iterator[Span]:
    """Card numbers: 13 to 19 digits passing Luhn, written whole or in groups. Inside a longer run of
    groups ("4242 4242 4242 4242 123", a card then its CVC), the longest window of whole groups that
    is a card wins; an ungrouped run of more than 19 digits, or one glued to letters, is an id."""
    for run in _DIGIT_RUN.finditer(text):
        end = run.end()
        if end < len(text) and (text[end].isalnum() or text[end] == "_"):
            continue
        groups = [(g.start(), g.end()) for g in _GROUP.finditer(text, run.start(), end)]
        i = 0
        while i < len(groups):
            best = None
            digits = 0
            j = i
            while j < len(groups) and digits + groups[j][1] - groups[j][0] <= 19:
                digits += groups[j][1] - groups[j][0]
                j += 1
                start, stop = groups[i][0], groups[j - 1][1]
                if digits >= 13 and _is_card(_digits(text[start:stop])):
                    best = (start, stop, j)
            if best is None:
                i += 1
                continue
            start, stop, i = best
            yield start, stop, f"[card ending {text[stop - 4 : stop]}]"


_SECRET = re.compile(
    r"(?<![A-Za-z0-9_])(?:"
    r"xox[abposre]-[A-Za-z0-9-]{8,}"  # Slack bot/user/app/config tokens
    r"|xapp-[A-Za-z0-9-]{8,}"
    r"|(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{8,}"  # Stripe keys
    r"|whsec_[A-Za-z0-9]{8,}"  # Stripe webhook secrets
    r"|gh[pousr]_[A-Za-z0-9]{30,}"  # GitHub tokens
    r"|AKIA[0-9A-Z]{16}"  # AWS access key ids
    r"|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"  # JWTs
    r")"
)
# "Bearer <token>", "Authorization: Basic <token>", "api_key=<value>", "password: <value>": the value goes.
_LABELLED = re.compile(
    r"(?i)(?<![A-Za-z0-9_])(?P<label>bearer|basic|token|api[_-]?key|secret|password|passwd|pwd)"
    r"(?P<sep>\s*[:=]\s*|\s+)(?P<value>[A-Za-z0-9._~+/=-]{8,})"
)
# Long opaque keys: 32+ hex digits, or 32+ base64/base64url characters that look random.
_LONG_KEY = re.compile(r"(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_-]{32,}={0,2}(?![A-Za-z0-9+/_=-])")
_HEX = re.compile(r"[0-9a-fA-F]+")


def _mask_secret(m: re.Match[str]) -> str | None:
    return "[secret]"


def _mask_labelled(m: re.Match[str]) -> str | None:
    label, value = m.group("label").lower(), m.group("value")
    named = m.group("sep").strip() != ""  # "password: x", "token=x"
    if label in ("bearer", "basic"):
        keep = len(value) < 16 and not _looks_random(value)
    else:
        # "token expired yesterday", "password reset": without ':' or '=' only a key-like word goes
        keep = not named and not _looks_random(value)
    return None if keep else m.group("label") + m.group("sep") + "[secret]"


def _looks_random(value: str) -> bool:
    core = value.rstrip("=")
    if len(core) >= 32 and _HEX.fullmatch(core) and any(c.isdigit() for c in core):
        return True
    has = (
        any(c.islower() for c in core),
        any(c.isupper() for c in core),
        any(c.isdigit() for c in core),
    )
    return len(core) >= 20 and sum(has) >= 3 - (len(core) >= 40) and _entropy(core) >= 3.5


def _in_url(m: re.Match[str]) -> bool:
    """Whether the match is part of a URL (a path or a host, not a key; `?token=` is caught by label)."""
    text, start = m.string, m.start()
    lo = max(start - 2048, 0)  # bounded look-back keeps many matches in one huge word linear
    word_start = max(
        text.rfind(" ", lo, start), text.rfind("\n", lo, start), text.rfind("<", lo, start), lo - 1
    )
    return "://" in text[word_start + 1 : m.end()]


def _mask_long_key(m: re.Match[str]) -> str | None:
    return "[secret]" if _looks_random(m.group(0)) and not _in_url(m) else None


_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}"
    r"(?![A-Za-z0-9-])"
)


def _mask_email(m: re.Match[str]) -> str | None:
    return "[email]"


# An optional +country code, then 2 to 5 groups of digits separated by a space, dot or dash, or
# bracketed area codes: "+1 (415) 555-2671", "+44 20 7946 0958", "415.555.2671", "+14155552671".
_PHONE = re.compile(
    r"(?<![0-9A-Za-z_+])(?:\+[0-9]{1,3}[ .-]?)?(?:\([0-9]{1,4}\)[ .-]?)?[0-9]{1,4}(?:[ .-]?[0-9]{1,4}){1,5}"
    r"(?![0-9A-Za-z_])"
)
_DATE = re.compile(r"[0-9]{4}[-.][0-9]{1,2}[-.][0-9]{1,2}|[0-9]{1,2}[-.][0-9]{1,2}[-.][0-9]{2,4}")


def _mask_phone(m: re.Match[str]) -> str | None:
    text = m.group(0)
    digits = _digits(text)
    international = text.startswith("+")
    if not (8 if international else 10) <= len(digits) <= 15:
        return None
    if not international and _DATE.fullmatch(text):
        return None
    return "[phone]"


# Order matters: an earlier detector wins where two overlap (a card number is not a phone number).
DETECTORS: tuple[Detector, ...] = (
    Detector(Kind.SECRET, _by_pattern(_SECRET, _mask_secret)),
    Detector(Kind.SECRET, _by_pattern(_LABELLED, _mask_labelled)),
    Detector(Kind.EMAIL, _by_pattern(_EMAIL, _mask_email)),
    Detector(Kind.CARD_NUMBER, _scan_cards),
    Detector(Kind.SECRET, _by_pattern(_LONG_KEY, _mask_long_key)),
    Detector(Kind.PHONE, _by_pattern(_PHONE, _mask_phone)),
)


# ---------------------------------------------------------------- applying a choice


def find(text: str, kinds: Iterable[Kind] = DEFAULT_KINDS) -> list[Found]:
    """What would be masked, in text order, without overlaps (earlier detectors win)."""
    wanted = frozenset(kinds)
    taken: list[Found] = []  # sorted by start, never overlapping
    starts: list[int] = []
    for det in DETECTORS:
        if det.kind not in wanted:
            continue
        for start, end, mask in det.scan(text):
            at = bisect.bisect_left(starts, end)  # the intervals starting before this one ends
            if at and taken[at - 1].end > start:
                continue
            taken.insert(at, Found(det.kind, start, end, mask))
            starts.insert(at, start)
    return taken


def redact(text: str, kinds: Iterable[Kind] = DEFAULT_KINDS) -> str:
    """`text` with every match of the chosen kinds replaced by its mask ("[card ending 4242]")."""
    if not text:
        return text
    found = find(text, kinds)
    if not found:
        return text
    out: list[str] = []
    at = 0
    for f in found:
        out.append(text[at : f.start])
        out.append(f.mask)
        at = f.end
    out.append(text[at:])
    return "".join(out)


@dataclass(frozen=True)
class Redactor:
    """A team's choice of what to mask; call it on any text bound for a card, a modal or a file."""

    kinds: frozenset[Kind] = DEFAULT_KINDS

    def __call__(self, text: str) -> str:
        return redact(text, self.kinds) if self.kinds else text


DEFAULT_REDACTOR = Redactor()
NO_REDACTION = Redactor(frozenset())


def parse_redaction(doc: Mapping[str, Any]) -> Redactor:
    """The policy's `redaction` section: `{mask: [card_number, secret, email, phone]}`, `all` or `none`.

    Absent means the default (card numbers and secrets). Raises PolicyError with the path of the
    wrong value.
    """
    choices = ", ".join(k.value for k in Kind)
    raw = doc.get("redaction")
    if raw is None:
        return DEFAULT_REDACTOR
    if not isinstance(raw, Mapping):
        raise PolicyError(("redaction",), "must be a mapping", f"e.g. redaction: {{mask: [{choices}]}}")
    for key in raw:
        if key != "mask":
            raise PolicyError(
                ("redaction", key), f"unknown key '{key}'", f"allowed: mask (e.g. mask: [{choices}])"
            )
    mask = raw.get("mask")
    if mask is None or mask == "none" or mask == []:
        return NO_REDACTION
    if mask == "all":
        return Redactor(frozenset(Kind))
    if not isinstance(mask, list):
        raise PolicyError(
            ("redaction", "mask"),
            f"must be a list of kinds, 'all' or 'none', not {mask!r}",
            f"e.g. mask: [{choices}]",
        )
    kinds: set[Kind] = set()
    for i, item in enumerate(mask):
        try:
            kinds.add(Kind(item))
        except ValueError:
            raise PolicyError(
                ("redaction", "mask", i), f"'{item}' is not something Baton can mask", "use " + choices
            ) from None
    return Redactor(frozenset(kinds))
