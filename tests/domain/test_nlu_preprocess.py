"""visible_text: only what the customer said themselves reaches the model and the phrase rules."""

from __future__ import annotations

import pytest

from bot.domain.nlu import sentences, visible_text
from bot.domain.nlu.preprocess import MAX_CHARS


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        ("One of my customers wrote 'I want a lawyer'. How should I reply?", "How should I reply?", "lawyer"),
        ('My client said "we will sue you" - can you help me answer?', "can you help me answer?", "sue"),
        (
            "my client said: I want to cancel everything\nhow do I export his data?",
            "export his data",
            "cancel",
        ),
        (
            "The error says \u201ccontact a human administrator\u201d, what does it mean?",
            "what does it mean?",
            "human",
        ),
        ("El cliente nos dijo: quiero un abogado\n\u00bfc\u00f3mo respondo?", "respondo", "abogado"),
        ("Mein Kunde schrieb \u201eich will einen Anwalt\u201c. Was tun?", "Was tun?", "Anwalt"),
        ("he said 'I don't want a bot' and left. ok", "and left", "bot"),
    ],
)
def test_reported_speech_is_removed(text: str, kept: str, gone: str) -> None:
    visible = visible_text(text)
    assert kept in visible
    assert gone not in visible


@pytest.mark.parametrize(
    "text",
    [
        "I said: get me a human!",
        "As I wrote 'cancel my subscription', please do it",
        'We already said "refund us"',
    ],
)
def test_the_customer_quoting_themselves_is_kept(text: str) -> None:
    assert visible_text(text) == text


def test_quoted_lines_nested_or_escaped_are_removed() -> None:
    text = "> I want a lawyer\n> > and a manager\n&gt; sue them\nthanks, where is the invoice?"
    assert visible_text(text) == "thanks, where is the invoice?"


def test_code_blocks_are_removed_even_unclosed() -> None:
    text = "Why does this fail?\n```\nraise Lawyer('sue')\n```\nand `cancel()` too\n```\nrm -rf human"
    visible = visible_text(text)
    assert "Why does this fail?" in visible and "and" in visible
    for word in ("Lawyer", "sue", "cancel", "human"):
        assert word not in visible


@pytest.mark.parametrize(
    "marker",
    [
        "---------- Forwarded message ---------",
        "Begin forwarded message:",
        "-----Original Message-----",
        "On Mon, 3 Nov 2026 at 10:00, Ana <ana@example.com> wrote:",
        "---------- Weitergeleitete Nachricht ---------",
        "El lun, 3 nov 2026, Ana escribi\u00f3:",
    ],
)
def test_forwarded_mail_is_removed(marker: str) -> None:
    text = f"Can you look at this?\n{marker}\nFrom: someone\nI will sue you and want a lawyer"
    assert visible_text(text) == "Can you look at this?"


def test_hostile_input_is_bounded_and_linear() -> None:
    huge = ("\"'\u201c> `" * 50_000) + "said: " * 10_000 + "```" + "x" * 100_000
    assert len(visible_text(huge)) <= MAX_CHARS
    nested = "> " * 5_000 + "lawyer\n" + "\u201c" * 10_000 + "hello"
    assert "lawyer" not in visible_text(nested)
    assert visible_text("") == "" and visible_text("```only code```") == ""


def test_plain_text_is_unchanged_but_for_spacing() -> None:
    assert visible_text("  I want   to talk to a person.  ") == "I want to talk to a person."


def test_sentences_split_on_punctuation_and_lines() -> None:
    assert sentences("Hi there. I was charged twice!\nCan you help? ok") == [
        "Hi there.",
        "I was charged twice!",
        "Can you help?",
        "ok",
    ]
    assert sentences("...  !!") == []


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        (
            'Customers often write "I want a person" in our widget. Can I show our hours?',
            "show our hours",
            "person",
        ),
        (
            "Mis clientes escriben \u00abquiero hablar con una persona\u00bb. \u00bfC\u00f3mo lo configuro?",
            "configuro",
            "persona",
        ),
        (
            "In unserem Chatbot tippen Kunden \u201eMitarbeiter bitte\u201c. Wie leite ich das weiter?",
            "leite",
            "Mitarbeiter",
        ),
        (
            'Onze klanten typen vaak "ik wil een medewerker". Kan dat automatisch?',
            "automatisch",
            "medewerker",
        ),
        (
            'Our users keep typing "talk to a human" into the widget. How do we route that?',
            "route that",
            "human",
        ),
    ],
)
def test_what_others_typically_write_is_removed(text: str, kept: str, gone: str) -> None:
    """Reported speech with a present-tense verb and up to two words before the quote ("often",
    the subject after the verb in German and Dutch word order)."""
    out = visible_text(text)
    assert kept in out and gone not in out, out


def test_the_customer_writing_it_themselves_is_kept() -> None:
    assert "get me a person" in visible_text('I said "get me a person", twice now')
