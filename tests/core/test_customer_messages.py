"""What the customer reads: in their language, says why, that the team has the context, and when;
never internal jargon, never an unfilled placeholder, never a mention smuggled in through a name."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import customer_messages as cm
from bot.customer_messages import BUILT_IN, DEFAULT, PLACEHOLDERS, Opening, Template
from bot.domain import hours
from bot.domain.errors import PolicyError
from bot.domain.model import CATEGORIES
from bot.domain.nlu import LANGUAGES
from bot.policy import PolicyFileError, load_policy_text

NY = ZoneInfo("America/New_York")
WAITS = [timedelta(seconds=s) for s in (10, 60, 290, 600, 1900, 3600, 3 * 3600, 4 * 86400)]


def every_message(messages: cm.CustomerMessages, lang: str) -> dict[str, str]:
    """Every template of one language, rendered with realistic inputs."""
    monday = Opening(datetime(2026, 11, 30, 9, 0, tzinfo=NY), 3, "EST")
    return {
        "transition": messages.transition(lang, category="billing", trigger="human_request", wait=WAITS[3]),
        "transition_paged": messages.transition(
            lang, category="security", trigger="", wait=WAITS[1], paged=True
        ),
        "after_hours": messages.after_hours(lang, category="legal", trigger="", opening=monday),
        "still_on_it": messages.still_on_it(lang, wait=WAITS[4]),
        "claimed": messages.claimed(lang, agent="alice", team="billing"),
        "resolved": messages.resolved(lang),
        "handed_off": messages.handed_off(lang, category="legal"),
        "linked": messages.linked(lang, category="billing"),
        "safety": messages.safety(lang),
        "safety_still_on_it": messages.safety(lang, still_on_it=True),
        "csat_question": messages.csat_question(lang),
        "csat_thanks": messages.csat_thanks(lang),
    }


def test_baton_writes_every_language_of_the_model():
    assert set(BUILT_IN) == set(LANGUAGES)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_has_every_template_and_word(lang):
    book = BUILT_IN[lang]
    en = BUILT_IN["en"]
    assert set(book.templates) == set(Template)
    assert set(book.teams) >= set(CATEGORIES)
    assert set(book.trigger_reasons) == set(en.trigger_reasons)
    assert set(book.category_reasons) == set(en.category_reasons)
    assert len(book.weekdays) == 7 and len(book.months) == 12 and book.emergency
    for kind, text in book.templates.items():
        cm._template(text, kind, ("customer_messages", lang, kind.value))  # the policy's own check


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_are_filled_and_the_texts_differ_by_language(lang):
    texts = every_message(DEFAULT, lang)
    for kind, text in texts.items():
        assert "{" not in text and "}" not in text, (kind, text)
        assert "  " not in text and text == text.strip(), (kind, text)
        if lang != "en":
            assert text != every_message(DEFAULT, "en")[kind], f"{lang} {kind} is the English text"
    book = BUILT_IN[lang]
    assert book.trigger_reasons["human_request"] in texts["transition"]
    assert book.teams["billing"] in texts["transition"]
    assert DEFAULT.wait(lang, WAITS[3]) in texts["transition"]
    assert book.weekdays[0] in texts["after_hours"] and "09" in texts["after_hours"]
    assert "alice" in texts["claimed"] and "billing" in texts["claimed"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_safety_messages_give_no_wait_and_point_to_emergency_help(lang):
    texts = every_message(DEFAULT, lang)
    emergency = BUILT_IN[lang].emergency
    for kind in ("safety", "safety_still_on_it"):
        assert texts[kind].endswith(emergency)
        assert not re.search(r"\d", texts[kind]), "no wait estimate, no phone number"
        for td in WAITS:
            assert DEFAULT.wait(lang, td) not in texts[kind]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_names_are_escaped_in_every_language(lang):
    text = DEFAULT.claimed(lang, agent="<!channel> & <@U0EVIL>", team="<https://x.example|team>")
    assert "<" not in text and ">" not in text
    assert "&lt;!channel&gt; &amp; &lt;@U0EVIL&gt;" in text and "&lt;https://x.example|team&gt;" in text


def test_english_texts_are_unchanged():
    assert DEFAULT.claimed("en", agent="alice", team="billing") == (
        "alice from billing has joined and is reading the conversation now."
    )
    text = DEFAULT.transition("en", category="billing", trigger="", wait=timedelta(minutes=10))
    assert text == (
        "Billing questions like this one deserve a person's attention. I'm bringing in a person from our"
        " billing team to help with this. They have this whole conversation, so you won't need to repeat"
        " yourself. Expected wait: about 10 minutes."
    )
    no_reason = DEFAULT.transition("en", category="general", trigger="too_chatty", wait=timedelta(0))
    assert no_reason.startswith("I'm bringing in a person from our support team")


@pytest.mark.parametrize(
    ("trigger", "category", "words"),
    [
        ("human_request", "general", "You asked to talk to a person."),
        ("legal", "legal", "legal implications"),
        ("billing_dispute", "billing", "Billing questions"),
        ("low_confidence", "technical", "not confident"),
    ],
)
def test_transition_says_why_and_that_nothing_must_be_repeated(trigger, category, words):
    text = DEFAULT.transition("en", category=category, trigger=trigger, wait=timedelta(minutes=10))
    assert words in text and "won't need to repeat yourself" in text and "about 10 minutes" in text
    for jargon in ("trigger", "threshold", "enterprise", "tier", "score"):
        assert jargon not in text.lower()


@pytest.mark.parametrize("lang", ["und", "xx", "", "EN"])
def test_unknown_languages_are_answered_in_english(lang):
    assert DEFAULT.writes_in(lang) == "en"
    assert DEFAULT.resolved(lang) == DEFAULT.resolved("en")


@pytest.mark.parametrize(
    ("lang", "seconds", "words"),
    [
        ("es", 10, "menos de un minuto"),
        ("es", 60, "aproximadamente un minuto"),
        ("es", 600, "unos 10 minutos"),
        ("de", 3600, "etwa 60 Minuten"),
        ("de", 3 * 3600, "etwa 3 Stunden"),
        ("fr", 4 * 86400, "environ 4 jours"),
        ("pt", 290, "cerca de 5 minutos"),
        ("it", 5 * 3600, "circa 5 ore"),
        ("nl", 2 * 3600, "ongeveer 2 uur"),
        ("en", 60, "about 1 minute"),
    ],
)
def test_wait_words(lang, seconds, words):
    assert DEFAULT.wait(lang, timedelta(seconds=seconds)) == words


def _opening(local: datetime, days: int) -> Opening:
    return Opening(local, days, local.tzname() or "")


@pytest.mark.parametrize(
    ("lang", "opening", "words"),
    [
        ("de", _opening(datetime(2026, 11, 30, 9, 0, tzinfo=NY), 3), "am Montag um 09:00 Uhr (EST)"),
        (
            "de",
            _opening(datetime(2027, 1, 4, 9, 0, tzinfo=NY), 10),
            "am Montag, 4. Januar, um 09:00 Uhr (EST)",
        ),
        ("es", _opening(datetime(2026, 11, 30, 9, 0, tzinfo=NY), 3), "el lunes a las 09:00 (EST)"),
        ("es", _opening(datetime(2026, 11, 24, 1, 30, tzinfo=NY), 1), "mañana a la 01:30 (EST)"),
        ("fr", _opening(datetime(2027, 2, 1, 9, 0, tzinfo=NY), 12), "lundi 1er février à 09h00 (EST)"),
        ("pt", _opening(datetime(2026, 11, 28, 9, 0, tzinfo=NY), 4), "no sábado às 09:00 (EST)"),
        ("it", _opening(datetime(2026, 11, 23, 14, 0, tzinfo=NY), 0), "oggi alle 14:00 (EST)"),
        ("nl", _opening(datetime(2026, 11, 24, 9, 0, tzinfo=NY), 1), "morgen om 09:00 (EST)"),
    ],
)
def test_opening_words(lang, opening, words):
    assert DEFAULT.opening(lang, opening) == words


@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 6, 8, 10, tzinfo=NY),  # open: now
        datetime(2026, 6, 8, 7, tzinfo=NY),
        datetime(2026, 6, 8, 18, tzinfo=NY),
        datetime(2026, 6, 12, 18, tzinfo=NY),
        datetime(2026, 12, 24, 17, tzinfo=NY),
    ],
)
def test_english_openings_match_the_hours_module(at):
    h = hours.parse_team_hours({"team_defaults": {"timezone": "America/New_York"}, "teams": {"t": {}}}, "t")
    assert DEFAULT.opening("en", Opening.of(h, at.astimezone(UTC))) == hours.describe_next_opening(h, at)


def test_is_safety():
    assert cm.is_safety("safety")
    assert cm.is_safety("general", [None, "safety"])
    assert not cm.is_safety("security", ["security", None])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_model_labels_read_as_the_rules_do(lang):
    book = BUILT_IN[lang]
    assert DEFAULT.reason(lang, "model_human_request", "general") == book.trigger_reasons["human_request"]
    assert DEFAULT.reason(lang, "model_frustration", "general") == book.trigger_reasons["not_helping"]
    assert DEFAULT.reason(lang, "model_compliance", "compliance") == book.category_reasons["compliance"]
    assert DEFAULT.reason(lang, "model_unknown", "general") == ""


# ---------------------------------------------------------------- the policy's overrides

BASE = "version: 1\nteams:\n  support: {channel: C0SUPPORT}\n"


def test_a_policy_overrides_one_template_of_one_language():
    policy = load_policy_text(
        BASE + "customer_messages:\n  es:\n    transition: '¡Hola! {team} te atiende en {wait}.'\n"
    )
    text = policy.messages.transition("es", category="billing", trigger="", wait=timedelta(minutes=10))
    assert text == "¡Hola! nuestro equipo de facturación te atiende en unos 10 minutos."
    assert policy.messages.transition("de", category="billing", trigger="", wait=timedelta(0)) == (
        DEFAULT.transition("de", category="billing", trigger="", wait=timedelta(0))
    )
    assert policy.messages.claimed("es", agent="a", team="b") == DEFAULT.claimed("es", agent="a", team="b")


def test_emergency_text_per_language_or_off():
    policy = load_policy_text(
        BASE + "safety:\n  emergency_text:\n    en: 'In the US, call or text 988.'\n    de: false\n"
    )
    assert policy.messages.safety("en").endswith("In the US, call or text 988.")
    assert policy.messages.safety("de").endswith("Sie müssen also nichts noch einmal erklären.")
    assert policy.messages.safety("es") == DEFAULT.safety("es")
    one = load_policy_text(BASE + "safety: {emergency_text: 'Call 112.'}\n")
    assert all(one.messages.safety(lang).endswith("Call 112.") for lang in LANGUAGES)


@pytest.mark.parametrize(
    ("section", "line", "message"),
    [
        (
            "customer_messages:\n  xx: {transition: hi}\n",
            5,
            "'xx' is not a language Baton writes in (use en, es,",
        ),
        (
            "customer_messages:\n  es: {welcome: hola}\n",
            5,
            "unknown template 'welcome' (templates: transition,",
        ),
        (
            "customer_messages:\n  es:\n    still_on_it: 'en {team}'\n",
            6,
            "unknown placeholder {team} (this template can use {wait})",
        ),
        ("customer_messages:\n  de:\n    resolved: 'Danke {'\n", 6, "write a literal brace as {{ or }}"),
        ("customer_messages:\n  fr:\n    claimed: '{agent!r}'\n", 6, "{agent} takes no format or conversion"),
        ("customer_messages:\n  fr:\n    claimed: ''\n", 6, "must be a non-empty text"),
        ("customer_messages: [es]\n", 4, "must be a mapping of language to templates"),
        ("safety: {emergency: x}\n", 4, "unknown key 'emergency' (allowed: emergency_text)"),
        ("safety:\n  emergency_text: {es: 3}\n", 5, "must be a text, or false"),
        ("safety:\n  emergency_text: {xx: hi}\n", 5, "'xx' is not a language Baton writes in"),
    ],
)
def test_baton_check_names_the_line_and_the_fix(section, line, message):
    with pytest.raises(PolicyFileError) as err:
        load_policy_text(BASE + section, "p.yaml")
    assert err.value.line == line
    assert message in err.value.message


def test_the_check_refuses_attribute_access_in_a_placeholder():
    with pytest.raises(PolicyError, match=r"unknown placeholder \{wait.__class__\}"):
        cm._template("{wait.__class__}", Template.STILL_ON_IT, ("x",))
    assert PLACEHOLDERS[Template.RESOLVED] == ()
