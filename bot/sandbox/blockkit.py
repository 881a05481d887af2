"""A pure Block Kit validator with Slack's limits and Slack-style error messages.

``validate_blocks(blocks, surface)`` returns a list of messages such as
``"no more than 50 items allowed [json-pointer:/blocks]"`` -- empty when Slack would accept the
blocks. ``validate_view(view)`` does the same for a modal or App Home view (pointers under
``/view``). Limits are from PLATFORM-FACTS.md, "Slack: Block Kit limits", and Slack's Block Kit
reference; the validator is deliberately strict on the limits Baton can hit and lenient on
optional decoration it does not use.
"""

from __future__ import annotations

from typing import Any

# PLATFORM-FACTS "Slack: Block Kit limits": 50 blocks per message; 100 per modal or App Home view.
MAX_BLOCKS = {"message": 50, "modal": 100, "home": 100}
MAX_TEXT = 3000  # text objects 1-3000 chars
MAX_FIELDS = 10  # section fields at most 10 ...
MAX_FIELD_TEXT = 2000  # ... each up to 2000 chars
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ID = 255  # action_id / block_id
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_MODAL_TITLE = 24  # also submit / close button texts
MAX_PRIVATE_METADATA = 3000
MAX_URL = 3000

BLOCK_TYPES = frozenset(
    {
        "section",
        "divider",
        "image",
        "actions",
        "context",
        "header",
        "input",
        "rich_text",
        "file",
        "video",
        "markdown",
    }
)

INTERACTIVE_ELEMENTS = frozenset(
    {
        "button",
        "checkboxes",
        "datepicker",
        "datetimepicker",
        "timepicker",
        "overflow",
        "radio_buttons",
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
        "workflow_button",
    }
)
INPUT_ONLY_ELEMENTS = frozenset(
    {
        "plain_text_input",
        "number_input",
        "email_text_input",
        "url_text_input",
        "rich_text_input",
        "file_input",
    }
)
SELECTS_WITH_OPTIONS = frozenset({"static_select", "multi_static_select"})
PLAIN = ("plain_text",)
ANY_TEXT = ("plain_text", "mrkdwn")


def _err(message: str, pointer: str) -> str:
    return f"{message} [json-pointer:{pointer}]"


class _Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.block_ids: set[str] = set()

    def add(self, message: str, pointer: str) -> None:
        self.errors.append(_err(message, pointer))

    # --- primitives -------------------------------------------------------------------------
    def string(self, value: Any, pointer: str, max_len: int, *, required: bool = False) -> None:
        if value is None:
            if required:
                self.add("must provide a string", pointer)
            return
        if not isinstance(value, str):
            self.add("must be a string", pointer)
            return
        if required and not value:
            self.add("must be more than 0 characters", pointer)
        if len(value) > max_len:
            self.add(f"must be less than {max_len + 1} characters", pointer)

    def identifier(self, value: Any, pointer: str) -> None:
        self.string(value, pointer, MAX_ID)

    def text(
        self,
        obj: Any,
        pointer: str,
        *,
        allowed: tuple[str, ...] = ANY_TEXT,
        max_len: int = MAX_TEXT,
        required: bool = True,
    ) -> None:
        if obj is None:
            if required:
                self.add("must provide an object", pointer)
            return
        if not isinstance(obj, dict):
            self.add("must provide an object", pointer)
            return
        kind = obj.get("type")
        if kind not in allowed:
            self.add(f"must be one of [{', '.join(allowed)}]", f"{pointer}/type")
            return
        value = obj.get("text")
        if not isinstance(value, str):
            self.add("must provide a string", f"{pointer}/text")
            return
        if not value:
            self.add("must be more than 0 characters", f"{pointer}/text")
        elif len(value) > max_len:
            self.add(f"must be less than {max_len + 1} characters", f"{pointer}/text")
        if kind == "mrkdwn" and "emoji" in obj:
            self.add("emoji is not allowed on mrkdwn text", f"{pointer}/emoji")
        if kind == "plain_text" and "verbatim" in obj:
            self.add("verbatim is not allowed on plain_text", f"{pointer}/verbatim")

    def array(self, value: Any, pointer: str, max_items: int, *, min_items: int = 1) -> list[Any]:
        if not isinstance(value, list):
            self.add("must provide an array", pointer)
            return []
        if len(value) < min_items:
            self.add(f"must provide at least {min_items} items", pointer)
        if len(value) > max_items:
            self.add(f"no more than {max_items} items allowed", pointer)
        return value

    def option(self, obj: Any, pointer: str, *, text_types: tuple[str, ...] = PLAIN) -> None:
        if not isinstance(obj, dict):
            self.add("must provide an object", pointer)
            return
        self.text(obj.get("text"), f"{pointer}/text", allowed=text_types, max_len=75)
        self.string(obj.get("value"), f"{pointer}/value", 150, required=True)
        if "description" in obj:
            self.text(obj["description"], f"{pointer}/description", allowed=text_types, max_len=75)

    def confirm(self, obj: Any, pointer: str) -> None:
        if not isinstance(obj, dict):
            self.add("must provide an object", pointer)
            return
        self.text(obj.get("title"), f"{pointer}/title", allowed=PLAIN, max_len=100)
        self.text(obj.get("text"), f"{pointer}/text", max_len=300)
        self.text(obj.get("confirm"), f"{pointer}/confirm", allowed=PLAIN, max_len=30)
        self.text(obj.get("deny"), f"{pointer}/deny", allowed=PLAIN, max_len=30)

    # --- elements ---------------------------------------------------------------------------
    def element(self, el: Any, pointer: str, *, allow_input: bool, action_ids: set[str]) -> None:
        if not isinstance(el, dict):
            self.add("must provide an object", pointer)
            return
        kind = el.get("type")
        if kind == "image":
            self.image_element(el, pointer)
            return
        if kind in INPUT_ONLY_ELEMENTS:
            if not allow_input:
                self.add(f"element type `{kind}` is only allowed in input blocks", f"{pointer}/type")
        elif kind not in INTERACTIVE_ELEMENTS:
            self.add(f"unsupported element type `{kind}`", f"{pointer}/type")
            return
        if "action_id" in el:
            self.identifier(el["action_id"], f"{pointer}/action_id")
            action_id = el["action_id"]
            if isinstance(action_id, str):
                # Slack: action_id "should be unique among all other action_ids in the containing block".
                if action_id in action_ids:
                    self.add(f"action_id `{action_id}` is already used in this block", f"{pointer}/action_id")
                action_ids.add(action_id)
        if "confirm" in el:
            self.confirm(el["confirm"], f"{pointer}/confirm")
        if "placeholder" in el:
            self.text(el["placeholder"], f"{pointer}/placeholder", allowed=PLAIN, max_len=150)
        if kind == "button":
            self.text(el.get("text"), f"{pointer}/text", allowed=PLAIN, max_len=MAX_BUTTON_TEXT)
            self.string(el.get("value"), f"{pointer}/value", MAX_BUTTON_VALUE)
            self.string(el.get("url"), f"{pointer}/url", MAX_URL)
            if "style" in el and el["style"] not in ("primary", "danger"):
                self.add("must be one of [primary, danger]", f"{pointer}/style")
        elif kind in SELECTS_WITH_OPTIONS:
            if "options" in el:
                for i, opt in enumerate(self.array(el["options"], f"{pointer}/options", 100)):
                    self.option(opt, f"{pointer}/options/{i}")
            elif "option_groups" in el:
                self.array(el["option_groups"], f"{pointer}/option_groups", 100)
            else:
                self.add("must provide either options or option_groups", pointer)
        elif kind == "overflow":
            opts = self.array(el.get("options"), f"{pointer}/options", 5, min_items=1)
            for i, opt in enumerate(opts):
                self.option(opt, f"{pointer}/options/{i}")
        elif kind in ("checkboxes", "radio_buttons"):
            opts = self.array(el.get("options"), f"{pointer}/options", 10)
            for i, opt in enumerate(opts):
                self.option(opt, f"{pointer}/options/{i}", text_types=ANY_TEXT)
        elif kind == "plain_text_input":
            for key in ("min_length", "max_length"):
                if key in el and (not isinstance(el[key], int) or not 0 <= el[key] <= 3000):
                    self.add("must be an integer between 0 and 3000", f"{pointer}/{key}")
            self.string(el.get("initial_value"), f"{pointer}/initial_value", 3000)

    def image_element(self, el: dict[str, Any], pointer: str) -> None:
        if "image_url" not in el and "slack_file" not in el:
            self.add("must provide either image_url or slack_file", pointer)
        self.string(el.get("image_url"), f"{pointer}/image_url", MAX_URL)
        self.string(el.get("alt_text"), f"{pointer}/alt_text", 2000, required=True)

    # --- blocks -----------------------------------------------------------------------------
    def block(self, block: Any, pointer: str, surface: str) -> None:
        if not isinstance(block, dict):
            self.add("must provide an object", pointer)
            return
        kind = block.get("type")
        if kind not in BLOCK_TYPES:
            self.add(f"unsupported block type `{kind}`", f"{pointer}/type")
            return
        if "block_id" in block:
            block_id = block["block_id"]
            self.identifier(block_id, f"{pointer}/block_id")
            if isinstance(block_id, str):
                if block_id in self.block_ids:
                    self.add(f"block_id `{block_id}` is already used", f"{pointer}/block_id")
                self.block_ids.add(block_id)
        action_ids: set[str] = set()
        if kind == "section":
            if "text" not in block and "fields" not in block:
                self.add("must provide either text or fields", pointer)
            if "text" in block:
                self.text(block["text"], f"{pointer}/text")
            if "fields" in block:
                fields = self.array(block["fields"], f"{pointer}/fields", MAX_FIELDS)
                for i, item in enumerate(fields):
                    self.text(item, f"{pointer}/fields/{i}", max_len=MAX_FIELD_TEXT)
            if "accessory" in block:
                self.element(
                    block["accessory"], f"{pointer}/accessory", allow_input=False, action_ids=action_ids
                )
        elif kind == "header":
            self.text(block.get("text"), f"{pointer}/text", allowed=PLAIN, max_len=MAX_HEADER_TEXT)
        elif kind == "image":
            self.image_element(block, pointer)
            if "title" in block:
                self.text(block["title"], f"{pointer}/title", allowed=PLAIN, max_len=2000)
        elif kind == "context":
            elements = self.array(block.get("elements"), f"{pointer}/elements", MAX_CONTEXT_ELEMENTS)
            for i, el in enumerate(elements):
                sub = f"{pointer}/elements/{i}"
                if isinstance(el, dict) and el.get("type") == "image":
                    self.image_element(el, sub)
                else:
                    self.text(el, sub)
        elif kind == "actions":
            elements = self.array(block.get("elements"), f"{pointer}/elements", MAX_ACTIONS_ELEMENTS)
            for i, el in enumerate(elements):
                self.element(el, f"{pointer}/elements/{i}", allow_input=False, action_ids=action_ids)
        elif kind == "input":
            self.text(block.get("label"), f"{pointer}/label", allowed=PLAIN, max_len=2000)
            if "hint" in block:
                self.text(block["hint"], f"{pointer}/hint", allowed=PLAIN, max_len=2000)
            if "element" not in block:
                self.add("must provide an object", f"{pointer}/element")
            else:
                self.element(block["element"], f"{pointer}/element", allow_input=True, action_ids=action_ids)
        elif kind == "rich_text":
            self.array(block.get("elements"), f"{pointer}/elements", 1000, min_items=0)
        elif kind == "markdown":
            self.string(block.get("text"), f"{pointer}/text", 12000, required=True)


def validate_blocks(blocks: Any, surface: str = "message", *, pointer: str = "/blocks") -> list[str]:
    """Slack-style messages for everything Slack would reject in ``blocks``; [] when valid."""
    if surface not in MAX_BLOCKS:
        raise ValueError(f"surface must be one of {sorted(MAX_BLOCKS)}, not {surface!r}")
    checker = _Checker()
    _check_blocks(checker, blocks, surface, pointer)
    return checker.errors


def _check_blocks(checker: _Checker, blocks: Any, surface: str, pointer: str) -> None:
    if not isinstance(blocks, list):
        checker.add("must provide an array", pointer)
        return
    if len(blocks) > MAX_BLOCKS[surface]:
        checker.add(f"no more than {MAX_BLOCKS[surface]} items allowed", pointer)
    for i, block in enumerate(blocks):
        checker.block(block, f"{pointer}/{i}", surface)


def validate_view(view: Any, *, pointer: str = "/view") -> list[str]:
    """Messages for a modal or App Home view object (the ``view`` argument of views.*)."""
    checker = _Checker()
    if not isinstance(view, dict):
        checker.add("must provide an object", pointer)
        return checker.errors
    kind = view.get("type")
    if kind not in ("modal", "home"):
        checker.add("must be one of [modal, home]", f"{pointer}/type")
        return checker.errors
    if kind == "modal":
        checker.text(view.get("title"), f"{pointer}/title", allowed=PLAIN, max_len=MAX_MODAL_TITLE)
        for key in ("submit", "close"):
            if key in view:
                checker.text(view[key], f"{pointer}/{key}", allowed=PLAIN, max_len=MAX_MODAL_TITLE)
        blocks = view.get("blocks")
        has_input = isinstance(blocks, list) and any(
            isinstance(b, dict) and b.get("type") == "input" for b in blocks
        )
        if has_input and "submit" not in view:
            checker.add("must provide submit when the view has input blocks", f"{pointer}/submit")
    checker.string(view.get("private_metadata"), f"{pointer}/private_metadata", MAX_PRIVATE_METADATA)
    checker.identifier(view.get("callback_id"), f"{pointer}/callback_id")
    checker.identifier(view.get("external_id"), f"{pointer}/external_id")
    _check_blocks(checker, view.get("blocks"), str(kind), f"{pointer}/blocks")
    return checker.errors
