"""What a valid policy may still get wrong in practice: said by `baton check` and at `baton serve` start.

Each warning says what will happen and how to fix it. Errors (a channel name where an id is needed)
are raised by the loader, in `bot/policy.py`, with the line.
"""

from __future__ import annotations

from bot.policy import Policy


def policy_warnings(policy: Policy) -> list[str]:
    out: list[str] = []
    if not policy.accounts:
        out.append(
            f"{policy.source}: no customer channel is mapped (`accounts` is empty), so Baton ignores every "
            "message: add one entry per customer channel, e.g. "
            "`accounts: [{channel: C0123ABCD, account: acme}]` (the id is at the bottom of the "
            "channel's About tab), then point BATON_POLICY at the file"
        )
    for team in policy.teams.values():
        oncall = team.oncall
        if oncall is None or oncall.provider == "none":
            out.append(
                f"{policy.source}: team {team.name} has no on-call, so when an escalation goes unclaimed "
                f"nobody is DMed or paged (only reminders in {team.channel}): set `teams.{team.name}.oncall` "
                "(provider: pagerduty, opsgenie or rotation; see docs/policy-paging.md)"
            )
    return out
