"""What the customer reads in their thread: in their language, honest, short, no internal jargon.

Pure. `CustomerMessages` holds one `Phrasebook` per language (languages.py), with the policy's overrides
applied (`customer_messages:` and `safety:` in the policy file, parsed by `parse_customer_messages`).
A conversation in a language Baton does not write in ("und", or one it lacks) is answered in English.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.cards import escape
from bot.customer_messages.languages import BUILT_IN
from bot.customer_messages.phrasebook import PLACEHOLDERS, Phrasebook, Template
from bot.domain import hours, wait
from bot.domain.errors import PolicyError

FALLBACK = "en"
SAFETY = "safety"  # the category of safety escalations
MODEL_PREFIX = "model_"  # the model's labels fire as triggers named model_<label>
REASON_ALIASES = {"frustration": "not_helping"}

__all__ = [
    "BUILT_IN",
    "DEFAULT",
    "FALLBACK",
    "PLACEHOLDERS",
    "CustomerMessages",
    "Opening",
    "Phrasebook",
    "Template",
    "is_safety",
    "parse_customer_messages",
]


@dataclass(frozen=True)
class Opening:
    """When a closed team is back, in the team's time zone (what {opening} says)."""

    local: datetime
    days_ahead: int  # 0 today, 1 tomorrow, ...
    tz: str  # the zone's abbreviation then ('EST', 'UTC+04')
    now: bool = False

    @classmethod
    def of(cls, h: hours.TeamHours, at: datetime) -> Opening:
        opening = hours.next_opening(h, at)
        local = opening.astimezone(h.tz)
        days = (local.date() - at.astimezone(h.tz).date()).days
        return cls(local, days, hours.tz_label(h, opening), now=opening == at.astimezone(UTC))


def is_safety(category: str, trigger_categories: Sequence[str | None] = ()) -> bool:
    """A safety escalation (self-harm, danger, severe distress): its category, or any trigger's, is
    `safety`. It gets its own careful messages."""
    return category == SAFETY or SAFETY in trigger_categories


def _fill(template: str, **values: str) -> str:
    """The template with its placeholders filled; an empty one leaves no doubled or dangling spaces."""
    text = template.format_map(values)
    return "\n".join(re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines()).strip()


@dataclass(frozen=True)
class CustomerMessages:
    books: Mapping[str, Phrasebook]

    def book(self, language: str) -> Phrasebook:
        return self.books.get(language) or self.books[FALLBACK]

    def writes_in(self, language: str) -> str:
        """The language a message to this customer is written in."""
        return language if language in self.books else FALLBACK

    # ------------------------------------------------------------ the words inside the messages

    def team(self, language: str, category: str) -> str:
        teams = self.book(language).teams
        return teams.get(category) or teams["general"]

    def reason(self, language: str, trigger: str, category: str) -> str:
        """Why a person is taking over, in words fit for the customer (never internal scores or tiers)."""
        book = self.book(language)
        # The model's labels fire as `model_<label>` triggers; frustration reads as "not helping".
        label = trigger.removeprefix(MODEL_PREFIX)
        said = book.trigger_reasons.get(trigger) or book.trigger_reasons.get(REASON_ALIASES.get(label, label))
        return said or book.category_reasons.get(category, "")

    def wait(self, language: str, td: timedelta) -> str:
        book = self.book(language)
        unit, n = wait.estimate(td)
        words = {
            "under_a_minute": book.under_a_minute,
            "minute": book.one_minute if n == 1 else book.minutes,
            "hour": book.one_hour if n == 1 else book.hours,
            "day": book.days,
        }[unit]
        return words.format(n=n)

    def opening(self, language: str, opening: Opening) -> str:
        book = self.book(language)
        if opening.now:
            return book.now
        local = opening.local
        clock = book.clock.format(hh=f"{local:%H}", mm=f"{local:%M}", tz=opening.tz)
        at = (book.at_one if local.hour == 1 and book.at_one else book.at).format(clock=clock)
        if opening.days_ahead <= 0:
            return book.today.format(at=at)
        if opening.days_ahead == 1:
            return book.tomorrow.format(at=at)
        weekday = book.weekdays[local.weekday()]
        if opening.days_ahead < 7:
            return book.weekday.format(weekday=weekday, at=at)
        day = book.first_day if local.day == 1 and book.first_day else str(local.day)
        return book.date.format(weekday=weekday, day=day, month=book.months[local.month - 1], at=at)

    # ------------------------------------------------------------ the messages

    def transition(
        self, language: str, *, category: str, trigger: str, wait: timedelta, paged: bool = False
    ) -> str:
        """Posted in the customer's thread when an escalation opens (`paged`: after hours, on-call paged)."""
        kind = Template.TRANSITION_PAGED if paged else Template.TRANSITION
        return _fill(
            self.book(language).templates[kind],
            reason=self.reason(language, trigger, category),
            team=self.team(language, category),
            wait=self.wait(language, wait),
        )

    def after_hours(self, language: str, *, category: str, trigger: str, opening: Opening) -> str:
        return _fill(
            self.book(language).templates[Template.AFTER_HOURS],
            reason=self.reason(language, trigger, category),
            team=self.team(language, category),
            opening=self.opening(language, opening),
        )

    def still_on_it(self, language: str, *, wait: timedelta) -> str:
        return _fill(self.book(language).templates[Template.STILL_ON_IT], wait=self.wait(language, wait))

    def keep_alive(self, language: str, *, wait: timedelta | None) -> str:
        """The rhythm's update while unclaimed: the wait left, or "longer than usual" past every pickup."""
        if wait is None:
            return _fill(self.book(language).templates[Template.LONGER_THAN_USUAL])
        return self.still_on_it(language, wait=wait)

    def claimed(self, language: str, *, agent: str, team: str) -> str:
        """Names come from Slack and the policy: escaped, so they show as text, never as mentions."""
        return _fill(self.book(language).templates[Template.CLAIMED], agent=escape(agent), team=escape(team))

    def resolved(self, language: str) -> str:
        return _fill(self.book(language).templates[Template.RESOLVED])

    def csat_question(self, language: str) -> str:
        """The satisfaction survey's question (the buttons 1-5 come with it)."""
        return _fill(self.book(language).templates[Template.CSAT_QUESTION])

    def csat_thanks(self, language: str) -> str:
        return _fill(self.book(language).templates[Template.CSAT_THANKS])

    def linked(self, language: str, *, category: str) -> str:
        """A new thread while an escalation of theirs is open: the message was added to that escalation."""
        return _fill(self.book(language).templates[Template.LINKED], team=self.team(language, category))

    def handed_off(self, language: str, *, category: str) -> str:
        """Another team takes over; `category` is one the new team handles (it names the team in words)."""
        return _fill(self.book(language).templates[Template.HANDED_OFF], team=self.team(language, category))

    def safety(self, language: str, *, still_on_it: bool = False) -> str:
        """A safety escalation: no wait estimate, no reason; the emergency-help sentence of the policy."""
        book = self.book(language)
        kind = Template.SAFETY_STILL_ON_IT if still_on_it else Template.SAFETY
        return _fill(book.templates[kind], emergency=book.emergency)


DEFAULT = CustomerMessages(BUILT_IN)


# ---------------------------------------------------------------- the policy's overrides


def _template(text: Any, kind: Template, path: tuple[str | int, ...]) -> str:
    allowed = PLACEHOLDERS[kind]
    hint = "this template can use " + (", ".join("{" + p + "}" for p in allowed) or "no placeholders")
    if not isinstance(text, str) or not text.strip():
        raise PolicyError(path, "must be a non-empty text", hint)
    try:
        fields = [
            (name, spec, conv) for _, name, spec, conv in string.Formatter().parse(text) if name is not None
        ]
    except ValueError as exc:
        raise PolicyError(
            path, f"is not a valid template ({exc})", "write a literal brace as {{ or }}"
        ) from None
    for name, spec, conv in fields:
        if name not in allowed:
            raise PolicyError(path, f"unknown placeholder {{{name}}}", hint)
        if spec or conv:
            raise PolicyError(path, f"{{{name}}} takes no format or conversion", f"write {{{name}}}")
    return text


def _emergency(value: Any, path: tuple[str | int, ...]) -> str:
    if value is False or value is None:
        return ""
    if not isinstance(value, str):
        raise PolicyError(path, "must be a text, or false to leave the emergency sentence out")
    return value.strip()


def parse_customer_messages(doc: Mapping[str, Any]) -> CustomerMessages:
    """The `customer_messages` section (per language, per template) and `safety.emergency_text`."""
    books = dict(BUILT_IN)
    languages = ", ".join(books)
    raw = doc.get("customer_messages")
    if raw is not None and not isinstance(raw, dict):
        raise PolicyError(
            ("customer_messages",),
            "must be a mapping of language to templates",
            'e.g. {es: {transition: "..."}}',
        )
    for lang, body in (raw or {}).items():
        path: tuple[str | int, ...] = ("customer_messages", lang)
        if lang not in books:
            raise PolicyError(path, f"'{lang}' is not a language Baton writes in", "use " + languages)
        if body is None:
            continue
        if not isinstance(body, dict):
            raise PolicyError(path, "must be a mapping of template to text", 'e.g. {transition: "..."}')
        templates = dict(books[lang].templates)
        for key, text in body.items():
            try:
                kind = Template(key)
            except ValueError:
                raise PolicyError(
                    (*path, key), f"unknown template '{key}'", "templates: " + ", ".join(Template)
                ) from None
            templates[kind] = _template(text, kind, (*path, key))
        books[lang] = replace(books[lang], templates=templates)

    safety = doc.get("safety")
    if safety is None:
        return CustomerMessages(books)
    if not isinstance(safety, dict):
        raise PolicyError(("safety",), "must be a mapping", 'e.g. safety: {emergency_text: "..."}')
    for key in safety:
        if key != "emergency_text":
            raise PolicyError(("safety", key), f"unknown key '{key}'", "allowed: emergency_text")
    if "emergency_text" not in safety:
        return CustomerMessages(books)
    value = safety["emergency_text"]
    path = ("safety", "emergency_text")
    if isinstance(value, dict):
        for lang, text in value.items():
            if lang not in books:
                raise PolicyError(
                    (*path, lang), f"'{lang}' is not a language Baton writes in", "use " + languages
                )
            books[lang] = replace(books[lang], emergency=_emergency(text, (*path, lang)))
    else:
        text = _emergency(value, path)
        books = {lang: replace(book, emergency=text) for lang, book in books.items()}
    return CustomerMessages(books)
