"""The full transcript in a modal, one click from the card: pure Block Kit, paged within Slack's limits.

A modal holds at most 100 blocks and a section's text 3000 characters (PLATFORM-FACTS "Block Kit
limits"). Each message is one section, a long one continues over several (up to `MAX_CHUNKS`);
pages are cut so that no page passes `PAGE_BLOCKS`, and "Older"/"Newer" buttons page through them
with views.update. Text arrives already redacted (bot/flows/transcript.py); here it is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.cards import ROLE_LABEL, Action, TranscriptLine, fmt_time, user_ref
from bot.mrkdwn import cut, escape, plain

TRANSCRIPT_MODAL = "baton_transcript"
MAX_VIEW_BLOCKS = 100
PAGE_BLOCKS = 96  # message blocks per page: the context and the navigation always fit beside them
CHUNK = 2800  # escaped characters per section (3000, less the author line and a margin)
MAX_CHUNKS = 12  # sections per message; the rest of a huge message is cut
TITLE = "Transcript"  # modal titles: 24 characters


@dataclass(frozen=True)
class Page:
    number: int  # 1-based
    count: int  # pages in all
    blocks: tuple[dict[str, Any], ...]  # the messages' sections
    first: int  # 1-based index of the first message on the page
    last: int


def _chunks(text: str, size: int = CHUNK) -> list[str]:
    """Split escaped text into pieces of at most `size`, never inside an &entity;, preferring line ends."""
    out: list[str] = []
    while text:
        if len(text) <= size:
            out.append(text)
            break
        cut_at = text.rfind("\n", size // 2, size)
        if cut_at == -1:
            cut_at = size
            amp = text.rfind("&", cut_at - 5, cut_at)
            if amp != -1 and ";" not in text[amp:cut_at]:
                cut_at = amp
        out.append(text[:cut_at])
        text = text[cut_at:].lstrip("\n")
    return out


def message_blocks(line: TranscriptLine) -> list[dict[str, Any]]:
    """One message: its author and time, then its text, over as many sections as it needs."""
    label = ROLE_LABEL.get(line.role, escape(line.role[:20]))
    who = f"{label} {user_ref(line.author)}" if line.role != "ai" else label
    head = f"*{who}* · {fmt_time(line.at)}\n"
    body = escape(line.text.strip()) or "_(no text)_"
    pieces = _chunks(body)
    if len(pieces) > MAX_CHUNKS:
        left = sum(len(p) for p in pieces[MAX_CHUNKS:])
        pieces = pieces[:MAX_CHUNKS]
        pieces[-1] = cut(pieces[-1], CHUNK - 60) + f"\n_… {left:,} more characters not shown_"
    blocks = []
    for i, piece in enumerate(pieces):
        text = (head if i == 0 else "") + piece
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": cut(text, 2990)}})
    return blocks


def paginate(lines: Sequence[TranscriptLine], budget: int = PAGE_BLOCKS) -> list[Page]:
    """Pages of whole messages, oldest first, each within `budget` blocks."""
    pages: list[tuple[list[dict[str, Any]], int, int]] = []
    current: list[dict[str, Any]] = []
    first = 1
    for i, line in enumerate(lines, start=1):
        blocks = message_blocks(line)
        if current and len(current) + len(blocks) > budget:
            pages.append((current, first, i - 1))
            current, first = [], i
        current.extend(blocks)
    if current or not pages:
        pages.append((current, first, len(lines)))
    return [
        Page(number=n, count=len(pages), blocks=tuple(b), first=lo, last=hi)
        for n, (b, lo, hi) in enumerate(pages, start=1)
    ]


def build_transcript_view(
    *, escalation_id: int, account: str, lines: Sequence[TranscriptLine], page: int = 1
) -> dict[str, Any]:
    """The modal for views.open / views.update: page `page` (clamped) of the conversation."""
    pages = paginate(lines)
    current = pages[min(max(page, 1), len(pages)) - 1]
    n = len(lines)
    where = (
        f"messages {current.first}–{current.last} of {n} · page {current.number} of {current.count}"
        if current.count > 1
        else f"{n} message{'s' if n != 1 else ''}"
    )
    context = cut(f"*{escape(account)}* · {where} · personal data masked as the team's policy says", 2990)
    blocks: list[dict[str, Any]] = [{"type": "context", "elements": [{"type": "mrkdwn", "text": context}]}]
    blocks.extend(
        current.blocks or [{"type": "section", "text": {"type": "mrkdwn", "text": "_No messages._"}}]
    )
    buttons = []
    if current.number > 1:
        buttons.append(_page_button("‹ Older", Action.TRANSCRIPT_OLDER, escalation_id, current.number - 1))
    if current.number < current.count:
        buttons.append(_page_button("Newer ›", Action.TRANSCRIPT_NEWER, escalation_id, current.number + 1))
    if buttons:
        blocks.append({"type": "actions", "block_id": "transcript_pages", "elements": buttons})
    assert len(blocks) <= MAX_VIEW_BLOCKS
    return {
        "type": "modal",
        "callback_id": TRANSCRIPT_MODAL,
        "private_metadata": str(escalation_id),
        "title": {"type": "plain_text", "text": plain(TITLE, 24)},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": blocks,
    }


def _page_button(label: str, action: Action, escalation_id: int, page: int) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action.value,
        "value": f"{escalation_id}:{page}",
    }


def parse_page_value(value: Any) -> tuple[int, int] | None:
    """(escalation id, page) from a page button's value, or None when it is not one."""
    if not isinstance(value, str) or value.count(":") != 1:
        return None
    esc, page = value.split(":")
    if (
        not (esc.isascii() and page.isascii() and esc.isdigit() and page.isdigit())
        or len(esc) > 18
        or len(page) > 6
    ):
        return None
    return int(esc), max(int(page), 1)
