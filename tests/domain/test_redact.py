"""Redaction: each kind is found and masked, near-misses are left alone, hostile input stays linear,
and the policy's choice is validated with the line and the fix."""

from __future__ import annotations

import random
import string

import pytest

from bot.cli import main
from bot.domain.errors import PolicyError
from bot.domain.redact import (
    DEFAULT_KINDS,
    NO_REDACTION,
    Kind,
    Redactor,
    find,
    luhn_ok,
    parse_redaction,
    redact,
)
from bot.policy import PolicyFileError, load_policy_text

ALL = frozenset(Kind)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("card 4242 4242 4242 4242 please", "card [card ending 4242] please"),
        ("card 4242-4242-4242-4242", "card [card ending 4242]"),
        ("card 4242424242424242.", "card [card ending 4242]."),
        ("amex 378282246310005", "amex [card ending 0005]"),
        ("(5555555555554444)", "([card ending 4444])"),
        ("4242 4242 4242 4242 123 exp 12/26", "[card ending 4242] 123 exp 12/26"),  # then its CVC
        ("cards 4242 4242 4242 4242 5555 5555 5555 4444", "cards [card ending 4242] [card ending 4444]"),
    ],
)
def test_card_numbers_that_pass_luhn_are_masked_keeping_the_last_four(text, expected):
    assert redact(text, {Kind.CARD_NUMBER}) == expected


@pytest.mark.parametrize(
    "text",
    [
        "4242424242424241",  # fails Luhn
        "order 123456789012",  # 12 digits: too short for a card
        "00000000000000000",  # one digit repeated passes Luhn but is no card
        "ref AB4242424242424242",  # glued to letters: an identifier
        "42424242424242424242",  # 20 digits in one group: an id, not a card
    ],
)
def test_numbers_that_are_not_cards_stay(text):
    assert redact(text, {Kind.CARD_NUMBER}) == text


def test_luhn():
    assert luhn_ok("4242424242424242") and luhn_ok("79927398713")
    assert not luhn_ok("4242424242424243") and not luhn_ok("79927398710")


@pytest.mark.parametrize(
    "secret",
    [
        "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp",
        "xoxp-12345678-abcdefgh",
        "xapp-1-A0123-456-abcdef",
        "sk_live_51HqLyjWDarjtT1zdp7dc",
        "pk_test_TYooMQauvdEDq54NiTphI7jx",
        "rk_live_abcdefgh12345678",
        "whsec_abcdefgh12345678",
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "AKIAIOSFODNN7EXAMPLE",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",  # 64 hex
        "dGhpcyBpcyBhIHNlY3JldCBrZXkgMTIzNDU2Nzg5MA==",  # base64
    ],
)
def test_secrets_are_masked(secret):
    assert redact(f"here: {secret} thanks", {Kind.SECRET}) == "here: [secret] thanks"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Authorization: Bearer abcDEF123456ghiJKL", "Authorization: Bearer [secret]"),
        ("bearer a1b2c3d4e5f6g7h8i9", "bearer [secret]"),
        ("api_key=Zx81kLq0pp1aa", "api_key=[secret]"),
        ("my password: hunter22", "my password: [secret]"),
        ("API-KEY: qwertyuiop", "API-KEY: [secret]"),
    ],
)
def test_labelled_values_are_masked_and_the_label_kept(text, expected):
    assert redact(text, {Kind.SECRET}) == expected


@pytest.mark.parametrize(
    "text",
    [
        "my password reset email never arrived",
        "the token expired yesterday",
        "the bearer of bad news",
        "see https://acme.slack.com/archives/C0123ABCD/p1700000000123456",
        "https://docs.example.com/articles/How-To-Reset-Your-Password-In-2024",
        "internationalization-and-localization-settings",  # a long word is not a key
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ],
)
def test_ordinary_text_is_not_a_secret(text):
    assert redact(text, {Kind.SECRET}) == text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("write to jo.doe+billing@acme.co.uk today", "write to [email] today"),
        ("<mailto:a@b.io|a@b.io>", "<mailto:[email]|[email]>"),  # Slack's own link markup
        ("x@y", "x@y"),
        ("@channel and @here", "@channel and @here"),
    ],
)
def test_emails(text, expected):
    assert redact(text, {Kind.EMAIL}) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("call +1 (415) 555-2671", "call [phone]"),
        ("call 415.555.2671 or 415-555-2671", "call [phone] or [phone]"),
        ("+44 20 7946 0958", "[phone]"),
        ("+14155552671", "[phone]"),
        ("<tel:+14155552671|+1 415 555 2671>", "<tel:[phone]|[phone]>"),
        ("on 2024-11-03 at 10:30", "on 2024-11-03 at 10:30"),  # a date
        ("order 12345", "order 12345"),
        ("$1,234,567.89", "$1,234,567.89"),
        ("version 1.2.3", "version 1.2.3"),
    ],
)
def test_phones(text, expected):
    assert redact(text, {Kind.PHONE}) == expected


def test_a_card_number_is_not_also_a_phone_number():
    assert redact("4242 4242 4242 4242", ALL) == "[card ending 4242]"
    kinds = [f.kind for f in find("4242 4242 4242 4242 and +1 415 555 2671", ALL)]
    assert kinds == [Kind.CARD_NUMBER, Kind.PHONE]


def test_only_the_chosen_kinds_are_masked():
    text = "jo@acme.io, +1 415 555 2671, 4242424242424242, sk_live_abcdefgh12345678"
    assert (
        redact(text, {Kind.EMAIL}) == "[email], +1 415 555 2671, 4242424242424242, sk_live_abcdefgh12345678"
    )
    assert redact(text, DEFAULT_KINDS) == "jo@acme.io, +1 415 555 2671, [card ending 4242], [secret]"
    assert redact(text, ALL) == "[email], [phone], [card ending 4242], [secret]"
    assert NO_REDACTION(text) == text
    assert Redactor()(text) == redact(text, DEFAULT_KINDS)


def test_unicode_and_markup_around_matches_survive():
    text = "💳 4242 4242 4242 4242 — ça coûte <!channel> `sk_live_abcdefgh12345678` *ok*"
    assert redact(text) == "💳 [card ending 4242] — ça coûte <!channel> `[secret]` *ok*"
    # digits from other scripts are not ASCII digits: nothing is mangled
    arabic = "٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢"
    assert redact(arabic, ALL) == arabic


@pytest.mark.parametrize(
    "hostile",
    [
        "1" * 200_000,
        "1 " * 100_000,
        "a@" * 100_000,
        "a." * 100_000 + "@",
        "x" * 200_000,
        "Ab1+" * 50_000,
        "password " * 20_000,
        "+1 " * 60_000,
        "eyJ" + "a" * 200_000,
        "bearer " + "a" * 200_000,
        "https://" + "aB3/" * 50_000,
        "4242424242424242 " * 10_000,
    ],
)
def test_hostile_input_completes_and_masks_only_whole_matches(hostile):
    out = redact(hostile, ALL)  # linear patterns: each of these returns promptly
    assert isinstance(out, str)
    if hostile.startswith("4242"):
        assert out.count("[card ending 4242]") == 10_000 and "4242424242424242" not in out


def test_a_huge_random_key_is_masked_whole():
    rng = random.Random(7)
    key = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(200_000))
    assert redact(f"key {key} end", {Kind.SECRET}) == "key [secret] end"


# ---------------------------------------------------------------- the policy's choice


def test_parse_redaction_choices():
    assert parse_redaction({}).kinds == DEFAULT_KINDS
    assert parse_redaction({"redaction": {"mask": "all"}}).kinds == ALL
    assert parse_redaction({"redaction": {"mask": "none"}}).kinds == frozenset()
    assert parse_redaction({"redaction": {"mask": []}}).kinds == frozenset()
    assert parse_redaction({"redaction": {"mask": ["email", "phone"]}}).kinds == {Kind.EMAIL, Kind.PHONE}


@pytest.mark.parametrize(
    "section, path, words",
    [
        ({"redaction": "yes"}, ("redaction",), "must be a mapping"),
        ({"redaction": {"hide": []}}, ("redaction", "hide"), "unknown key"),
        ({"redaction": {"mask": "cards"}}, ("redaction", "mask"), "must be a list"),
        ({"redaction": {"mask": ["email", "ssn"]}}, ("redaction", "mask", 1), "'ssn' is not"),
    ],
)
def test_parse_redaction_errors_name_the_path(section, path, words):
    with pytest.raises(PolicyError) as err:
        parse_redaction(section)
    assert err.value.path == path and words in err.value.message
    assert "card_number" in err.value.describe()  # the fix lists what is allowed


POLICY = """\
version: 1
teams:
  support: {channel: C0SUP}
redaction:
  mask:
    - card_number
    - passport
"""


def test_the_policy_loader_reports_the_line_and_the_fix():
    with pytest.raises(PolicyFileError) as err:
        load_policy_text(POLICY, "p.yaml")
    assert err.value.line == 7
    assert "'passport' is not something Baton can mask" in str(err.value)
    assert "card_number, secret, email, phone" in str(err.value)
    good = load_policy_text(POLICY.replace("passport", "email"), "p.yaml")
    assert good.redactor.kinds == {Kind.CARD_NUMBER, Kind.EMAIL}
    assert load_policy_text(POLICY.split("redaction")[0]).redactor.kinds == DEFAULT_KINDS


def test_baton_check_shows_the_error(tmp_path, capsys):
    path = tmp_path / "p.yaml"
    path.write_text(POLICY, encoding="utf-8")
    assert main(["check", str(path)]) != 0
    err = capsys.readouterr()
    assert f"{path}:7" in err.out + err.err and "passport" in err.out + err.err
