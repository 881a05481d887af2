"""/escalations: what is open now, who is on call, and help."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot import cards
from bot.deps import Deps
from bot.flows.oncall import who_is_on_call
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
    return cards.ephemeral(_list_text(deps))


def _list_text(deps: Deps) -> str:
    now = deps.clock.now()
    with session_scope(deps.db) as session:
        rows = repo.escalations(session, statuses=ACTIVE_STATUSES, limit=30)
    if not rows:
        return ":white_check_mark: No open escalations."
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
    return f"*{len(rows)} active escalation{'s' if len(rows) != 1 else ''}*\n" + "\n".join(lines)


def _oncall(deps: Deps) -> dict[str, Any]:
    return cards.ephemeral(_oncall_text(deps))


def _oncall_text(deps: Deps) -> str:
    now = deps.clock.now()
    lines = []
    for team in deps.policy.teams.values():
        answer = who_is_on_call(deps, team, now)
        who = ", ".join(f"<@{u}>" for u in answer.users) or f"_nobody_ ({cards.escape(answer.problem)})"
        lines.append(f"• *{cards.escape(team.name)}* ({answer.provider}): {who}")
    return "*On call now*\n" + "\n".join(lines)


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


def publish_home(deps: Deps, user: str) -> None:
    """The App Home tab: what is open now and who is on call."""
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Baton"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": cards.cut(_list_text(deps), cards.TEXT_LIMIT)},
        },
        {"type": "divider"},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": cards.cut(_oncall_text(deps), cards.TEXT_LIMIT)},
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "`/escalations help` for commands"}]},
    ]
    deps.slack.views_publish(user_id=user, view={"type": "home", "blocks": blocks})
