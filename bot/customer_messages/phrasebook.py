"""The shape of one language's customer texts: the message templates and the words they are built from.

Pure data types. The texts themselves are in `languages.py`; a policy file can replace any template per
language (`customer_messages:` in the policy, validated against `PLACEHOLDERS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Template(StrEnum):
    """Every message Baton posts in a customer's thread."""

    TRANSITION = "transition"  # an escalation opened, the team is in
    TRANSITION_PAGED = "transition_paged"  # opened after hours, urgent: on-call was paged
    AFTER_HOURS = "after_hours"  # opened after hours, waits for the opening
    STILL_ON_IT = "still_on_it"  # nobody has claimed yet (sent with the first reminder)
    CLAIMED = "claimed"  # someone joined
    RESOLVED = "resolved"  # the escalation was resolved: the AI agent may answer again
    HANDED_OFF = "handed_off"  # an agent handed the escalation to another team
    LINKED = "linked"  # a new thread while an escalation of theirs is open: added to it
    SAFETY = "safety"  # a safety escalation opened (no wait estimate; emergency help)
    SAFETY_STILL_ON_IT = "safety_still_on_it"  # nobody has claimed a safety escalation yet
    CSAT_QUESTION = "csat_question"  # after the resolution: how did we do? (with buttons 1-5)
    CSAT_THANKS = "csat_thanks"  # replaces the question once the customer has answered
    LONGER_THAN_USUAL = "longer_than_usual"  # a keep-alive once the wait is past every recent pickup


# What each template may insert. {reason}: why a person is taking over, a sentence or nothing;
# {team}: the team in words (e.g. "our billing team"); {wait}: the expected wait ("about 10 minutes");
# {opening}: when the team is back ("Monday at 09:00 EST"); {agent}: who joined; {emergency}: the
# emergency-help sentence of the policy (may be empty).
PLACEHOLDERS: Mapping[Template, tuple[str, ...]] = {
    Template.TRANSITION: ("reason", "team", "wait"),
    Template.TRANSITION_PAGED: ("reason", "team", "wait"),
    Template.AFTER_HOURS: ("reason", "team", "opening"),
    Template.STILL_ON_IT: ("wait",),
    Template.CLAIMED: ("agent", "team"),
    Template.RESOLVED: (),
    Template.HANDED_OFF: ("team",),
    Template.LINKED: ("team",),
    Template.SAFETY: ("emergency",),
    Template.SAFETY_STILL_ON_IT: ("emergency",),
    Template.CSAT_QUESTION: (),
    Template.CSAT_THANKS: (),
    Template.LONGER_THAN_USUAL: (),
}


@dataclass(frozen=True)
class Phrasebook:
    """One language. Time words build {wait} and {opening}; see languages.py for examples."""

    code: str  # ISO 639-1
    name: str  # the language's English name, for the card ("Spanish")
    templates: Mapping[Template, str]
    teams: Mapping[str, str]  # category -> "our billing team" ("general" is the fallback)
    trigger_reasons: Mapping[str, str]  # trigger id -> why a person takes over
    category_reasons: Mapping[str, str]  # category -> why, when the trigger has no sentence of its own
    emergency: str  # the default emergency-help sentence of safety messages
    # {wait}
    under_a_minute: str
    one_minute: str
    minutes: str  # with {n}
    one_hour: str
    hours: str  # with {n}
    days: str  # with {n}
    # {opening}: today/tomorrow take {at}; weekday adds {weekday}; date adds {day} and {month}
    now: str
    today: str
    tomorrow: str
    weekday: str
    date: str
    at: str  # with {clock}
    clock: str  # with {hh}, {mm}, {tz}
    weekdays: tuple[str, ...]  # Monday first
    months: tuple[str, ...]  # January first
    at_one: str = ""  # `at` for 01:xx where the language says it differently ("a la 01:00")
    first_day: str = ""  # how the 1st of a month is written when not "1" ("1er")
