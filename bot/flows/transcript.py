"""The Transcript button: the whole conversation, redacted as the team's policy says, in a paged modal."""

from __future__ import annotations

from typing import Any

from bot.cards import TranscriptLine
from bot.deps import Deps
from bot.flows.claim import REFUSAL, ClickResult, is_internal
from bot.transcript import build_transcript_view
from storage import repo
from storage.db import read_scope
from storage.models import Conversation, Escalation


def transcript_view(
    deps: Deps, esc_id: int, user_team: str, page: int = 1
) -> tuple[ClickResult, dict[str, Any] | None]:
    """The modal for page `page` of the escalation's conversation (members of our workspace only)."""
    if not is_internal(deps, user_team):
        return ClickResult(False, REFUSAL), None
    redact = deps.policy.redactor
    with read_scope(deps.db) as session:
        esc = session.get(Escalation, esc_id)
        conv = session.get(Conversation, esc.conversation_id) if esc is not None else None
        if esc is None or conv is None or conv.id is None:
            return ClickResult(False, "This escalation no longer exists."), None
        lines = [
            TranscriptLine(role=m.role, author=m.author, text=redact(m.text), at=m.sent_at)
            for m in repo.messages_of(session, conv.id)
        ]
        entry = deps.policy.account_for_channel(conv.channel)
        name = str(entry.facts.get("name") or entry.id) if entry is not None else esc.account_id
    return ClickResult(True), build_transcript_view(
        escalation_id=esc_id, account=name, lines=lines, page=page
    )
