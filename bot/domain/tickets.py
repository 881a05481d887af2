"""Async handoff tickets: a team's `tickets:` policy, when it asks for a ticket, and the ticket's text.

A ticket is the record a person picks up later in the helpdesk (a queued escalation, one opened after
hours, or every escalation when the team says so): Baton's summary, the account facts, recommended
next actions, the transcript and the way back to the card. Pure: no I/O, no clock.

`parse_tickets(raw, path)` reads `teams.<name>.tickets` (or `team_defaults.tickets`):

    tickets:
      helpdesk: zendesk            # zendesk | freshdesk: where tickets of Slack and API conversations go
      when: [queued, after_hours]  # queued | after_hours | always (default: queued and after_hours)
      use_source: true             # a Zendesk/Intercom conversation is its own ticket (default true)
      group_id: 360001             # optional: the helpdesk group the ticket is filed in
      requester_email: support@ourco.example  # Freshdesk: required (who the ticket is filed under)
      tags: [vip]                  # optional: added to every ticket
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.domain.errors import PolicyError


class Helpdesk(StrEnum):
    ZENDESK = "zendesk"
    FRESHDESK = "freshdesk"


class When(StrEnum):
    QUEUED = "queued"  # an escalation of urgency queued (nobody is paged: someone picks it up later)
    AFTER_HOURS = "after_hours"  # opened while the team is closed
    ALWAYS = "always"  # every escalation of the team


DEFAULT_WHEN = frozenset({When.QUEUED, When.AFTER_HOURS})
TICKETS_KEYS = ("helpdesk", "when", "use_source", "group_id", "requester_email", "tags")
_EXAMPLE = "e.g. tickets: {helpdesk: zendesk, when: [queued, after_hours]}"
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}")
_TAG = re.compile(r"[A-Za-z0-9_\-:./]{1,80}")


@dataclass(frozen=True, slots=True)
class TicketsConfig:
    helpdesk: Helpdesk
    when: frozenset[When] = DEFAULT_WHEN
    use_source: bool = True
    group_id: int | None = None
    requester_email: str = ""
    tags: tuple[str, ...] = ()


def wanted(config: TicketsConfig | None, *, urgency: str, after_hours: bool) -> bool:
    """Does an escalation opened with this urgency (and after hours or not) get a ticket?"""
    if config is None:
        return False
    return (
        When.ALWAYS in config.when
        or (When.QUEUED in config.when and urgency == "queued")
        or (When.AFTER_HOURS in config.when and after_hours)
    )


def parse_tickets(raw: Any, path: tuple[str | int, ...]) -> TicketsConfig | None:
    """A `tickets:` block (None when absent: no tickets)."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise PolicyError(path, "must be a mapping", _EXAMPLE)
    for key in raw:
        if key not in TICKETS_KEYS:
            raise PolicyError((*path, str(key)), f"unknown key '{key}'", "use " + ", ".join(TICKETS_KEYS))
    try:
        helpdesk = Helpdesk(str(raw.get("helpdesk", "")))
    except ValueError:
        raise PolicyError(
            (*path, "helpdesk"), "must name the helpdesk tickets go to", "use " + " | ".join(Helpdesk)
        ) from None
    when_raw = raw.get("when", sorted(DEFAULT_WHEN))
    if isinstance(when_raw, str):
        when_raw = [when_raw]
    if not isinstance(when_raw, list) or not when_raw:
        raise PolicyError((*path, "when"), "must be a non-empty list", "e.g. when: [queued, after_hours]")
    when: set[When] = set()
    for i, item in enumerate(when_raw):
        try:
            when.add(When(str(item)))
        except ValueError:
            raise PolicyError((*path, "when", i), f"'{item}' is not a moment", "use " + " | ".join(When)) from None
    use_source = raw.get("use_source", True)
    if not isinstance(use_source, bool):
        raise PolicyError(
            (*path, "use_source"), "must be true or false", "true: a Zendesk/Intercom conversation is its own ticket"
        )
    group = raw.get("group_id")
    if group is not None and (isinstance(group, bool) or not isinstance(group, int) or group <= 0):
        raise PolicyError((*path, "group_id"), "must be the helpdesk group's numeric id", "e.g. group_id: 360001")
    email = raw.get("requester_email", "")
    if not isinstance(email, str) or (email and not _EMAIL.fullmatch(email.strip())):
        raise PolicyError((*path, "requester_email"), "must be an email address", "e.g. support@ourco.example")
    if helpdesk == Helpdesk.FRESHDESK and not email:
        raise PolicyError(
            (*path, "requester_email"),
            "Freshdesk needs a requester for every ticket",
            "add requester_email: the address tickets are filed under, e.g. support@ourco.example",
        )
    tags = raw.get("tags", [])
    if not isinstance(tags, list):
        raise PolicyError((*path, "tags"), "must be a list of tags", "e.g. tags: [vip]")
    for i, tag in enumerate(tags):
        if not isinstance(tag, str) or not _TAG.fullmatch(tag):
            raise PolicyError((*path, "tags", i), "a tag is letters, digits and - _ : . / (no spaces)", "e.g. vip")
    return TicketsConfig(
        helpdesk=helpdesk,
        when=frozenset(when),
        use_source=use_source,
        group_id=group,
        requester_email=email.strip(),
        tags=tuple(tags),
    )


# ---------------------------------------------------------------- the ticket's text

SUBJECT_LIMIT = 150
BODY_LIMIT = 60_000  # Zendesk takes 64 KB of comment; Freshdesk descriptions are long too
TRANSCRIPT_LINE_LIMIT = 2_000


@dataclass(frozen=True, slots=True)
class TicketText:
    """What the ticket carries, already redacted (the flow redacts before building it)."""

    escalation_id: int
    account: str
    team: str
    urgency: str
    category: str
    summary: Sequence[tuple[str, str]]  # (label, text): what the customer wants, what the AI tried...
    facts: Sequence[tuple[str, str]]  # (label, value): tier, MRR, renewal, owner
    next_actions: Sequence[str]
    transcript: Sequence[tuple[str, str, str]]  # (when, who, text)
    card_link: str = ""
    reasons: Sequence[str] = ()


def subject(text: TicketText) -> str:
    wants = next((v for label, v in text.summary if label == "What the customer wants" and v), "")
    line = f"[Baton] {text.account}: {wants or text.category + ' escalation'}"
    line = " ".join(line.split())
    return line if len(line) <= SUBJECT_LIMIT else line[: SUBJECT_LIMIT - 1] + "…"


def body(text: TicketText) -> str:
    """Plain text: sections a person reads top to bottom; the transcript last, cut to the limit."""
    out = [
        f"Baton escalation #{text.escalation_id} — {text.team} ({text.urgency}, {text.category})",
    ]
    if text.card_link:
        out.append(f"Card in Slack: {text.card_link}")
    if text.summary:
        out += ["", "Summary"] + [f"- {label}: {value}" for label, value in text.summary if value]
    if text.reasons:
        out += ["", "Why Baton escalated"] + [f"- {r}" for r in text.reasons]
    out += ["", "Account"] + [f"- {label}: {value}" for label, value in text.facts if value]
    if text.next_actions:
        out += ["", "Recommended next actions"] + [f"- {a}" for a in text.next_actions]
    head = "\n".join(out)
    lines = ["", "", f"Transcript ({len(text.transcript)} messages)"]
    for when, who, said in text.transcript:
        said = said if len(said) <= TRANSCRIPT_LINE_LIMIT else said[:TRANSCRIPT_LINE_LIMIT] + "…"
        lines.append(f"[{when}] {who}: {said}")
    tail = "\n".join(lines)
    room = BODY_LIMIT - len(head)
    if len(tail) > room:  # keep the most recent messages: they say where it stands
        note = "\n(earlier messages left out: the full transcript is on the card)"
        tail = tail[-max(0, room - len(note)) :] + note if room > len(note) else ""
    return head + tail


def html(text: str) -> str:
    """The plain body as HTML (Freshdesk's description is HTML): escaped, line breaks kept."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return escaped.replace("\n", "<br>")
