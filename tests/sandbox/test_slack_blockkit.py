"""The pure Block Kit validator: Slack's limits, with Slack-style messages and JSON pointers."""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox.blockkit import validate_blocks, validate_view


def text(kind: str, value: str) -> dict[str, Any]:
    return {"type": kind, "text": value}


def section(value: str = "hello", **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": text("mrkdwn", value), **extra}


def button(action_id: str = "claim", label: str = "Claim", value: str = "v") -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "text": text("plain_text", label), "value": value}


CARD = [
    {"type": "header", "text": text("plain_text", "Refund request from Acme")},
    section("*Why:* asked for a human", block_id="why"),
    {"type": "section", "fields": [text("mrkdwn", f"*F{i}*") for i in range(10)]},
    {"type": "divider"},
    {
        "type": "context",
        "elements": [
            text("mrkdwn", "SLA 15 min"),
            {"type": "image", "image_url": "https://x/y.png", "alt_text": "logo"},
        ],
    },
    {"type": "actions", "block_id": "acts", "elements": [button("claim"), button("snooze", "Snooze")]},
    section("with accessory", accessory=button("open")),
]


def test_a_realistic_card_is_valid() -> None:
    assert validate_blocks(CARD) == []


def test_block_count_limits_per_surface() -> None:
    assert validate_blocks([section()] * 50) == []
    assert validate_blocks([section()] * 51) == ["no more than 50 items allowed [json-pointer:/blocks]"]
    assert validate_blocks([section()] * 100, "modal") == []
    assert validate_blocks([section()] * 101, "home") == [
        "no more than 100 items allowed [json-pointer:/blocks]"
    ]


def test_text_object_length_and_emptiness() -> None:
    assert validate_blocks([section("x" * 3000)]) == []
    assert validate_blocks([{"type": "divider"}, section("x" * 3001)]) == [
        "must be less than 3001 characters [json-pointer:/blocks/1/text/text]"
    ]
    assert validate_blocks([section("")]) == [
        "must be more than 0 characters [json-pointer:/blocks/0/text/text]"
    ]
    assert validate_blocks([{"type": "section", "text": {"type": "mrkdwn"}}]) == [
        "must provide a string [json-pointer:/blocks/0/text/text]"
    ]


def test_section_needs_text_or_fields_and_field_limits() -> None:
    assert validate_blocks([{"type": "section"}]) == [
        "must provide either text or fields [json-pointer:/blocks/0]"
    ]
    eleven = {"type": "section", "fields": [text("mrkdwn", "f")] * 11}
    assert validate_blocks([eleven]) == ["no more than 10 items allowed [json-pointer:/blocks/0/fields]"]
    long_field = {"type": "section", "fields": [text("mrkdwn", "f"), text("plain_text", "x" * 2001)]}
    assert validate_blocks([long_field]) == [
        "must be less than 2001 characters [json-pointer:/blocks/0/fields/1/text]"
    ]


def test_header_is_plain_text_only_and_at_most_150() -> None:
    assert validate_blocks([{"type": "header", "text": text("plain_text", "h" * 150)}]) == []
    assert validate_blocks([{"type": "header", "text": text("plain_text", "h" * 151)}]) == [
        "must be less than 151 characters [json-pointer:/blocks/0/text/text]"
    ]
    assert validate_blocks([{"type": "header", "text": text("mrkdwn", "*h*")}]) == [
        "must be one of [plain_text] [json-pointer:/blocks/0/text/type]"
    ]


def test_button_limits() -> None:
    long_label = {"type": "actions", "elements": [button(label="b" * 76)]}
    assert validate_blocks([long_label]) == [
        "must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]"
    ]
    long_value = {"type": "actions", "elements": [button(value="v" * 2001)]}
    assert validate_blocks([long_value]) == [
        "must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]"
    ]
    mrkdwn_label = {
        "type": "actions",
        "elements": [{"type": "button", "text": text("mrkdwn", "*b*"), "action_id": "a"}],
    }
    assert validate_blocks([mrkdwn_label]) == [
        "must be one of [plain_text] [json-pointer:/blocks/0/elements/0/text/type]"
    ]
    bad_style = {"type": "actions", "elements": [dict(button(), style="green")]}
    assert validate_blocks([bad_style]) == [
        "must be one of [primary, danger] [json-pointer:/blocks/0/elements/0/style]"
    ]


def test_id_lengths_and_uniqueness() -> None:
    assert validate_blocks([section(block_id="b" * 255)]) == []
    assert validate_blocks([section(block_id="b" * 256)]) == [
        "must be less than 256 characters [json-pointer:/blocks/0/block_id]"
    ]
    long_action = {"type": "actions", "elements": [button(action_id="a" * 256)]}
    assert validate_blocks([long_action]) == [
        "must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]"
    ]
    assert validate_blocks([section(block_id="x"), section(block_id="x")]) == [
        "block_id `x` is already used [json-pointer:/blocks/1/block_id]"
    ]
    same_block = {"type": "actions", "elements": [button("a"), button("a")]}
    assert validate_blocks([same_block]) == [
        "action_id `a` is already used in this block [json-pointer:/blocks/0/elements/1/action_id]"
    ]
    # Slack only asks action_ids to be unique within their block
    assert (
        validate_blocks(
            [{"type": "actions", "elements": [button("a")]}, {"type": "actions", "elements": [button("a")]}]
        )
        == []
    )


def test_context_and_actions_element_counts() -> None:
    ok_context = {"type": "context", "elements": [text("mrkdwn", "c")] * 10}
    assert validate_blocks([ok_context]) == []
    assert validate_blocks([{"type": "context", "elements": [text("mrkdwn", "c")] * 11}]) == [
        "no more than 10 items allowed [json-pointer:/blocks/0/elements]"
    ]
    many = {"type": "actions", "elements": [button(f"a{i}") for i in range(26)]}
    assert validate_blocks([many]) == ["no more than 25 items allowed [json-pointer:/blocks/0/elements]"]
    assert validate_blocks([{"type": "actions", "elements": []}]) == [
        "must provide at least 1 items [json-pointer:/blocks/0/elements]"
    ]


def test_unknown_types_and_wrong_shapes() -> None:
    assert validate_blocks([{"type": "carousel"}]) == [
        "unsupported block type `carousel` [json-pointer:/blocks/0/type]"
    ]
    assert validate_blocks(["section"]) == ["must provide an object [json-pointer:/blocks/0]"]
    assert validate_blocks({"type": "section"}) == ["must provide an array [json-pointer:/blocks]"]
    weird = {"type": "actions", "elements": [{"type": "slider", "action_id": "s"}]}
    assert validate_blocks([weird]) == [
        "unsupported element type `slider` [json-pointer:/blocks/0/elements/0/type]"
    ]
    text_input_in_actions = {"type": "actions", "elements": [{"type": "plain_text_input", "action_id": "t"}]}
    assert validate_blocks([text_input_in_actions]) == [
        "element type `plain_text_input` is only allowed in input blocks [json-pointer:/blocks/0/elements/0/type]"
    ]
    with pytest.raises(ValueError):
        validate_blocks([], "dialog")


def test_mrkdwn_with_emoji_and_plain_with_verbatim_are_rejected() -> None:
    assert validate_blocks([{"type": "section", "text": {"type": "mrkdwn", "text": "x", "emoji": True}}]) == [
        "emoji is not allowed on mrkdwn text [json-pointer:/blocks/0/text/emoji]"
    ]
    assert validate_blocks(
        [{"type": "section", "text": {"type": "plain_text", "text": "x", "verbatim": True}}]
    ) == ["verbatim is not allowed on plain_text [json-pointer:/blocks/0/text/verbatim]"]


MODAL = {
    "type": "modal",
    "title": text("plain_text", "Hand off"),
    "submit": text("plain_text", "Send"),
    "callback_id": "handoff",
    "private_metadata": "m",
    "blocks": [
        {
            "type": "input",
            "block_id": "note",
            "label": text("plain_text", "Note"),
            "element": {"type": "plain_text_input", "action_id": "text", "multiline": True},
        }
    ],
}


def test_valid_modal_and_home() -> None:
    assert validate_view(MODAL) == []
    assert validate_view({"type": "home", "blocks": [section()]}) == []


def test_modal_limits() -> None:
    assert validate_view(dict(MODAL, title=text("plain_text", "t" * 25))) == [
        "must be less than 25 characters [json-pointer:/view/title/text]"
    ]
    assert validate_view(dict(MODAL, private_metadata="m" * 3001)) == [
        "must be less than 3001 characters [json-pointer:/view/private_metadata]"
    ]
    no_submit = {k: v for k, v in MODAL.items() if k != "submit"}
    assert validate_view(no_submit) == [
        "must provide submit when the view has input blocks [json-pointer:/view/submit]"
    ]
    assert validate_view(dict(MODAL, blocks=[section()] * 101)) == [
        "no more than 100 items allowed [json-pointer:/view/blocks]"
    ]
    assert validate_view({k: v for k, v in MODAL.items() if k != "title"}) == [
        "must provide an object [json-pointer:/view/title]"
    ]
    assert validate_view(dict(MODAL, type="dialog")) == [
        "must be one of [modal, home] [json-pointer:/view/type]"
    ]
    assert validate_view([]) == ["must provide an object [json-pointer:/view]"]
