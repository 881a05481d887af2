"""Bugs: does a customer's message read like a bug report, and a team's `bugs:` policy.

`bug_signature(text)` looks for what a bug report carries: an HTTP 5xx, an error code, a stack trace
or exception name, "broken since the release/update", "X stopped working", "keeps crashing", in the
languages the engine speaks (en, es, de, fr, pt, it, nl) where it is cheap. Every pattern is a plain
alternation with bounded gaps, so matching stays linear in the text's length. Pure: no I/O.

`parse_bugs(body, path)` reads `teams.<name>.bugs: {linear_team_id, labels, create, categories}`;
off unless configured.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.domain.errors import PolicyError

MAX_SCAN = 20_000  # characters of one message read (a pasted log is long; the signal is early)


class SignalKind(StrEnum):
    SERVER_ERROR = "server_error"  # HTTP 5xx
    ERROR_CODE = "error_code"  # "error code E1234", "ERR_CONNECTION_RESET", 0x80070005
    STACK_TRACE = "stack_trace"  # a traceback, "NullPointerException", "TypeError: ..."
    REGRESSION = "regression"  # broken since the release / update
    STOPPED_WORKING = "stopped_working"  # "X stopped working", "keeps crashing"


@dataclass(frozen=True, slots=True)
class BugSignal:
    kind: SignalKind
    quote: str  # the words that matched, as the customer wrote them


_GAP = r"[^.!?\n]{0,60}?"  # a bounded stretch inside one sentence

_PATTERNS: tuple[tuple[SignalKind, re.Pattern[str]], ...] = (
    (
        SignalKind.SERVER_ERROR,
        re.compile(
            r"\b(?:(?:http|error|erreur|fehler|errore|erro|fout|status|code)\s*:?\s*5\d\d"
            r"|5\d\d\s*(?:error|erreur|fehler|errore|erro|fout|internal|bad gateway|service unavailable"
            r"|gateway time-?out)"
            r"|internal server error|bad gateway|service unavailable|gateway time-?out)\b",
            re.IGNORECASE,
        ),
    ),
    (
        SignalKind.STACK_TRACE,
        re.compile(
            r"(?i:traceback \(most recent call last\)|stack ?trace|segmentation fault|segfault|core dumped)"
            r"|\b[A-Z][A-Za-z]{2,40}(?:Exception|Error)\b(?::|\s+at\b|\s+in\b|\s+was\b|\s+is\b|\s+when\b|$)"
            r"|\bat [\w$.]{3,120}\([\w$]{1,80}\.(?:java|kt|scala|js|ts):\d{1,6}\)"
            r"|\b(?i:file) \"[^\"\n]{1,200}\", line \d{1,6}",
            re.MULTILINE,
        ),
    ),
    (
        SignalKind.ERROR_CODE,
        re.compile(
            r"\b(?:error|erreur|fehler|errore|erro|fout)(?:\s*(?:code|código|codice|code d'erreur))?\s*[:#]?\s*"
            r"(?=[A-Z0-9_-]{0,24}\d)[A-Z][A-Z0-9_-]{1,24}\b"
            r"|\b(?:error|erreur|fehler|errore|erro|fout)\s*(?:code|código|codice)\s*[:#]?\s*\d{2,8}\b"
            r"|\bERR_[A-Z_]{3,40}\b|\b0x[0-9A-Fa-f]{6,8}\b|\bE[A-Z]{3,12}\b(?=:)",
            re.IGNORECASE,
        ),
    ),
    (
        SignalKind.REGRESSION,
        re.compile(
            r"\b(?:broken|broke|stopped working|not working|doesn'?t work|does not work|fails|failing|crash\w*"
            r"|no funciona|dejó de funcionar|funktioniert nicht|kaputt|ne (?:fonctionne|marche) plus"
            r"|não funciona|parou de funcionar|non funziona|werkt niet)"
            + _GAP
            + r"(?:since|after|depuis|seit|desde|dopo|sinds)\s+(?:the|your|a|la|le|l'|el|dem|der|o|a|il|de|het)?"
            r"\s*(?:last |latest |new |recent |dernière |letzten |última |ultimo |laatste )?"
            r"(?:release|update|upgrade|deploy\w*|version|actualizaci[oó]n|mise à jour|aktualisierung"
            r"|atualiza[cç][aã]o|aggiornamento)"
            r"|\b(?:since|after|depuis|seit|desde|dopo|sinds)\s+(?:the|your|a|la|le|l'|el|dem|der|o|il|de|het)?"
            r"\s*(?:last |latest |new |recent )?(?:release|update|upgrade|deploy\w*|version"
            r"|actualizaci[oó]n|mise à jour|aktualisierung|atualiza[cç][aã]o|aggiornamento|versie)"
            + _GAP
            + r"(?:broken|broke|stopped working|not working|doesn'?t work|does not work|fails|failing|crash\w*"
            r"|no funciona|funktioniert nicht|kaputt|ne (?:fonctionne|marche) plus|não funciona|non funziona"
            r"|werkt niet)",
            re.IGNORECASE,
        ),
    ),
    (
        SignalKind.STOPPED_WORKING,
        re.compile(
            r"\b(?:stopped working|stopped loading|stopped syncing|keeps? crashing|keeps? failing|crashes every"
            r"|is (?:completely )?broken|are (?:completely )?broken|doesn'?t (?:load|work) anymore"
            r"|no longer works|not working anymore|won'?t load"
            r"|dejó de funcionar|ya no funciona|se cuelga"
            r"|funktioniert nicht mehr|stürzt (?:\w+ )?ab|geht nicht mehr"
            r"|ne (?:fonctionne|marche) plus|a cessé de fonctionner|plante (?:à chaque|tout le temps)"
            r"|parou de funcionar|não funciona mais|continua travando"
            r"|non funziona più|ha smesso di funzionare|si blocca"
            r"|werkt niet meer|is kapot|crasht)\b",
            re.IGNORECASE,
        ),
    ),
)


def bug_signals(text: str) -> tuple[BugSignal, ...]:
    """Every kind of bug signal in the text, each with its first match, in a fixed order."""
    scanned = text[:MAX_SCAN]
    found = []
    for kind, pattern in _PATTERNS:
        match = pattern.search(scanned)
        if match is not None:
            found.append(BugSignal(kind, match.group(0).strip()))
    return tuple(found)


def bug_signature(texts: Sequence[str]) -> BugSignal | None:
    """The first signal in the customer's messages, oldest first (None: nothing reads like a bug)."""
    for text in texts:
        signals = bug_signals(text)
        if signals:
            return signals[0]
    return None


def bug_title(texts: Sequence[str], *, account_name: str, limit: int = 120) -> str:
    """The issue's title, in the customer's words: the first message with a bug signal, first line."""
    chosen = next((t for t in texts if bug_signals(t)), texts[0] if texts else "")
    line = " ".join(chosen.split())
    prefix = f"[{account_name}] " if account_name else ""
    room = max(limit - len(prefix), 10)
    if len(line) > room:
        line = line[: room - 1].rstrip() + "…"
    return prefix + (line or "Bug reported by a customer")


# ---------------------------------------------------------------------------- policy


BUGS_KEYS = ("tracker", "linear_team_id", "jira_project", "issue_type", "labels", "create", "categories")


class Tracker(StrEnum):
    LINEAR = "linear"
    JIRA = "jira"  # Jira Cloud (integrations/jira_issues.py)


_JIRA_KEY = re.compile(r"[A-Z][A-Z0-9_]{0,9}")
_JIRA_LABEL = re.compile(r"[^\s]{1,255}")
DEFAULT_CATEGORIES = ("technical",)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_EXAMPLE = "e.g. bugs: {linear_team_id: 9cfb482a-81e3-4154-b5b9-2c805e70a02d, labels: [], create: true}"


@dataclass(frozen=True, slots=True)
class BugsConfig:
    linear_team_id: str = ""
    labels: tuple[str, ...] = ()  # label ids (Linear) or label names (Jira) added to every issue Baton creates
    create: bool = True  # False: only link an open bug the account already has
    categories: tuple[str, ...] = DEFAULT_CATEGORIES  # escalations of these categories are looked at
    tracker: Tracker = Tracker.LINEAR
    jira_project: str = ""  # Jira: the project key issues are created in
    issue_type: str = "Bug"  # Jira: the issue type's name

    @property
    def project(self) -> str:
        """Where issues are created: the Linear team's id or the Jira project's key."""
        return self.jira_project if self.tracker == Tracker.JIRA else self.linear_team_id


def parse_bugs(
    raw: Any, path: tuple[str | int, ...], *, categories: Sequence[str]
) -> BugsConfig | None:
    """A team's `bugs:` block (None when absent: off unless configured)."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise PolicyError(path, "must be a mapping", _EXAMPLE)
    for key in raw:
        if key not in BUGS_KEYS:
            raise PolicyError((*path, str(key)), f"unknown key '{key}'", "use " + ", ".join(BUGS_KEYS))
    try:
        tracker = Tracker(str(raw.get("tracker", Tracker.LINEAR)))
    except ValueError:
        raise PolicyError((*path, "tracker"), f"'{raw.get('tracker')}' is not a bug tracker", "use linear | jira") from None
    if tracker == Tracker.JIRA:
        return _parse_jira(raw, path, categories=categories)
    team_id = raw.get("linear_team_id")
    if not isinstance(team_id, str) or not _UUID.fullmatch(team_id.strip()):
        raise PolicyError(
            (*path, "linear_team_id"),
            "must be the Linear team's id (a UUID)",
            "find it in Linear under Settings → Teams, or query `teams { nodes { id key } }`",
        )
    labels = raw.get("labels", [])
    if not isinstance(labels, list):
        raise PolicyError((*path, "labels"), "must be a list of Linear label ids", "e.g. labels: []")
    for i, label in enumerate(labels):
        if not isinstance(label, str) or not _UUID.fullmatch(label.strip()):
            raise PolicyError(
                (*path, "labels", i), "must be a Linear label id (a UUID)", "query `issueLabels { nodes { id name } }`"
            )
    create, cats = _create_and_categories(raw, path, categories)
    return BugsConfig(
        linear_team_id=team_id.strip(),
        labels=tuple(label.strip() for label in labels),
        create=create,
        categories=cats,
    )


def _create_and_categories(
    raw: Mapping[str, Any], path: tuple[str | int, ...], categories: Sequence[str]
) -> tuple[bool, tuple[str, ...]]:
    create = raw.get("create", True)
    if not isinstance(create, bool):
        raise PolicyError((*path, "create"), "must be true or false", "create: true makes Baton open issues")
    cats = raw.get("categories", list(DEFAULT_CATEGORIES))
    if not isinstance(cats, list) or not cats:
        raise PolicyError((*path, "categories"), "must be a non-empty list of categories", "e.g. [technical]")
    for i, cat in enumerate(cats):
        if cat not in categories:
            raise PolicyError((*path, "categories", i), f"'{cat}' is not a category", "use " + ", ".join(categories))
    return create, tuple(cats)


def _parse_jira(raw: Mapping[str, Any], path: tuple[str | int, ...], *, categories: Sequence[str]) -> BugsConfig:
    """`bugs: {tracker: jira, jira_project: ENG, issue_type: Bug, labels: [customer-facing]}`."""
    if "linear_team_id" in raw:
        raise PolicyError((*path, "linear_team_id"), "is for Linear; this team's tracker is jira", "remove it, or say tracker: linear")
    project = raw.get("jira_project")
    if not isinstance(project, str) or not _JIRA_KEY.fullmatch(project.strip()):
        raise PolicyError(
            (*path, "jira_project"), "must be the Jira project's key (capital letters and digits)", "e.g. jira_project: ENG"
        )
    issue_type = raw.get("issue_type", "Bug")
    if not isinstance(issue_type, str) or not issue_type.strip():
        raise PolicyError((*path, "issue_type"), "must name an issue type of the project", "e.g. issue_type: Bug")
    labels = raw.get("labels", [])
    if not isinstance(labels, list):
        raise PolicyError((*path, "labels"), "must be a list of Jira labels", "e.g. labels: [customer-facing]")
    for i, label in enumerate(labels):
        if not isinstance(label, str) or not _JIRA_LABEL.fullmatch(label):
            raise PolicyError((*path, "labels", i), "a Jira label has no spaces", "e.g. customer-facing")
    create, cats = _create_and_categories(raw, path, categories)
    return BugsConfig(
        labels=tuple(labels),
        create=create,
        categories=cats,
        tracker=Tracker.JIRA,
        jira_project=project.strip(),
        issue_type=issue_type.strip(),
    )
