"""/escalations: what is open now, who is on call, and help."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot import cards
from bot.deps import Deps
from storage import repo
from storage.db import session_scope
from storage.models import ACTIVE_STATUSES

HELP = (
    "*/escalations* — what Baton is handling\n"
    "• `/escalations` or `/escalations list`: open and claimed escalations\n"
    "• `/escalations oncall`: who is on call now, per team\n"
    "• `/escalations help`: this message"
)

SUBCOMMANDS: dict[str, Callable[[Deps], dict[str, Any]]] = {}


def _list(deps: Deps) -> dict[str, Any]:
    now = deps.clock.now()
    with session_scope(deps.db) as session:
        rows = repo.escalations(session, statuses=ACTIVE_STATUSES, limit=30)
    if not rows:
        return cards.ephemeral(":white_check_mark: No open escalations.")
    lines = []
    for esc in rows:
        age = cards.fmt_duration((now - esc.opened_at).total_seconds())
        who = f"claimed by <@{esc.claimed_by}>" if esc.claimed_by else "*unclaimed*"
        link = (
            f"<https://slack.com/app_redirect?channel={esc.card_channel}|card>"
            if esc.card_channel
            else "no card yet"
        )
        lines.append(
            f"• #{esc.id} {esc.urgency} · {esc.category} · {cards.escape(esc.account_id)} · {who} · open {age} · {link}"
        )
    return cards.ephemeral(
        f"*{len(rows)} active escalation{'s' if len(rows) != 1 else ''}*\n" + "\n".join(lines)
    )


def _oncall(deps: Deps) -> dict[str, Any]:
    from bot.flows.oncall import who_is_on_call

    now = deps.clock.now()
    lines = []
    for team in deps.policy.teams.values():
        answer = who_is_on_call(deps, team, now)
        who = ", ".join(f"<@{u}>" for u in answer.users) or f"_nobody_ ({cards.escape(answer.problem)})"
        lines.append(f"• *{cards.escape(team.name)}* ({answer.provider}): {who}")
    return cards.ephemeral("*On call now*\n" + "\n".join(lines))


SUBCOMMANDS["oncall"] = _oncall
SUBCOMMANDS["list"] = _list
SUBCOMMANDS[""] = _list
SUBCOMMANDS["help"] = lambda deps: cards.ephemeral(HELP)


def escalations_command(deps: Deps, *, text: str, user_team: str) -> dict[str, Any]:
    if user_team and user_team != deps.identity.team_id:
        return cards.ephemeral("Sorry, this command is for the support team.")
    word = text.strip().split(" ", 1)[0].lower()
    handler = SUBCOMMANDS.get(word)
    if handler is None:
        return cards.ephemeral(f"I don't know `{cards.escape(word)}`.\n{HELP}")
    return handler(deps)
