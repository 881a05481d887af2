""""Resolve surge" on the surge card: the incident is over, and so is every escalation in it.

A form asks what was wrong and what was done (required). When it is submitted the surge is resolved
once (a conditional UPDATE: a second submission, or a second person, is told it was resolved already),
and every member not yet resolved is resolved by the same person in the same transaction, as a Resolve
on its card would: the customer reads in their thread, in their language, that it was resolved; the
AI agent has the thread back; the survey, the source and the SLA clocks follow (claim.resolved). The
surge card says who resolved it, when and the note, and has no buttons any more.
"""

from __future__ import annotations

from bot import surge_cards
from bot.deps import Deps
from bot.flows import action_effects, claim, outbox
from bot.flows.outbox import EffectKind, unique
from storage import repo, surge_repo
from storage.db import session_scope
from storage.models import RESOLVED, Surge

NOTE_MAX = 1500


def resolve_modal(deps: Deps, surge_id: int, user_team: str) -> tuple[claim.ClickResult, dict | None]:
    if not claim.is_internal(deps, user_team):
        return claim.ClickResult(False, claim.REFUSAL), None
    with session_scope(deps.db) as session:
        surge = session.get(Surge, surge_id)
        if surge is None:
            return claim.ClickResult(False, "This surge no longer exists."), None
        if surge.resolved_at is not None:
            return claim.ClickResult(False, f"<@{surge.resolved_by}> resolved this surge already."), None
        active = [e for e in surge_repo.members(session, surge_id) if e.status != RESOLVED]
    return claim.ClickResult(True), surge_cards.build_resolve_modal(surge_id, len(active))


def resolve_surge(deps: Deps, surge_id: int, user: str, user_team: str, note: str) -> claim.ClickResult:
    """Resolve the surge and every escalation of it not resolved yet; their customers are told."""
    if not claim.is_internal(deps, user_team):
        return claim.ClickResult(False, claim.REFUSAL)
    body = note.strip()[:NOTE_MAX]
    if not body:
        return claim.ClickResult(False, "Say what was wrong and what was done first.")
    now = deps.clock.now()
    done: list[int] = []
    with session_scope(deps.db) as session:
        surge = session.get(Surge, surge_id)
        if surge is None:
            return claim.ClickResult(False, "This surge no longer exists.")
        if not surge_repo.resolve(session, surge_id, user, body, now):
            session.refresh(surge)
            if surge.resolved_by == user and surge.resolution_note == body:
                return claim.ClickResult(True)  # this form was taken in already (Slack delivered it twice)
            refusal, channel = f"<@{surge.resolved_by}> resolved this surge already.", surge.card_channel
        else:
            refusal, channel = "", ""
        members = [] if refusal else surge_repo.members(session, surge_id)
        for e in members:
            if e.id is None or e.status == RESOLVED:
                continue
            if repo.resolve(session, e.id, user, body, now):
                session.refresh(e)
                claim.resolved(session, deps, e, user=user, note=body, now=now, via="surge")
                done.append(e.id)
        anchor = members[0].id if members else None
        if anchor is not None:
            outbox.enqueue(session, anchor, EffectKind.SURGE_CARD, now, key=unique(), surge=surge_id)
    if refusal:  # the form is closed by now: say it where the surge card is
        action_effects.tell_user(deps, user, channel, refusal)
        return claim.ClickResult(False, refusal)
    for esc_id in [*done, *([anchor] if anchor is not None and anchor not in done else [])]:
        outbox.run_for(deps, esc_id)
    n = len(done)
    return claim.ClickResult(True, f"Resolved the surge and {n} escalation{'s' if n != 1 else ''} in it.")
