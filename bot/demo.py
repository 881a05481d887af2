"""`baton demo`: the built-in scenario, told as a readable story of what happened in Slack."""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from pathlib import Path

from bot.cards import fmt_duration
from bot.scenario import parse_scenario_text
from bot.simulate import Happening, SimResult, run_scenario

KIND_TEXT = {
    "opened": "escalated",
    "card_posted": "card posted",
    "customer_notified": "customer told a human is coming",
    "claimed": "claimed",
    "customer_told_claimed": "customer told who joined",
    "released": "released back to the queue",
    "resolved": "resolved",
    "reasons_added": "new reasons added to the card",
    "effect_failed": "a Slack call failed (will retry)",
    "reminded": "team reminded",
    "paged": "on-call paged",
    "page_resolved": "page resolved",
    "page_failed": "paging failed (retrying)",
    "customer_told_waiting": "customer told we're still on it",
    "manager_notified": "manager notified",
    "taken_over": "taken over",
    "previous_claimer_told": "previous claimer told",
    "handed_off": "handed to another team",
    "customer_told_handed_off": "customer told who is taking over",
    "note_added": "internal note added",
    "reopened": "reopened",
    "snoozed": "snoozed",
    "woken": "back in the queue",
    "offered": "offered first",
    "offer_dm": "offer sent by DM",
    "offer_skipped": "passed over",
    "offer_expired": "the reservation ran out",
    "assigned": "assigned",
    "routed_to_team": "the team is asked",
    "source_updated": "helpdesk",
}
ROLE_TEXT = {"owner": "the account owner", "previous_handler": "who handled it last", "member": "a member"}


QUIET_KINDS = {"step", "opening_summary_posted"}


def _clock(at: datetime, tz: object | None = None) -> str:
    return at.strftime("%H:%M:%S")


def story(result: SimResult) -> list[Happening]:
    lines = list(result.story)
    channel_names = {}
    for rec in result.escalations:
        for ev in rec.timeline:
            if ev.kind in QUIET_KINDS:
                continue
            label = KIND_TEXT.get(ev.kind, ev.kind.replace("_", " "))
            detail = ""
            if ev.kind == "opened":
                trig = ", ".join(f"{t['id']}" for t in ev.detail.get("triggers", []))
                detail = f" {ev.detail.get('urgency')}/{ev.detail.get('category')} → team {ev.detail.get('team')} (why: {trig})"
            elif ev.kind == "card_posted":
                channel_names[rec.id] = ev.detail.get("channel", "")
                detail = f" in {ev.detail.get('channel', '')}"
            elif ev.kind == "claimed":
                pickup = (ev.at - rec.opened_at).total_seconds()
                detail = f" by <@{ev.actor}> after {fmt_duration(pickup)}" + (
                    f" ({ev.detail['via']})" if ev.detail.get("via") else ""
                )
            elif ev.kind in (
                "customer_notified",
                "customer_told_claimed",
                "customer_told_waiting",
                "customer_told_handed_off",
            ):
                detail = f": “{ev.detail.get('text', '')}”"
            elif ev.kind == "handed_off":
                detail = f" by <@{ev.actor}>: {ev.detail.get('from_team')} → {ev.detail.get('to_team')} (“{ev.detail.get('note', '')}”)"
            elif ev.kind == "taken_over":
                detail = f" by <@{ev.actor}> from <@{ev.detail.get('previous', '')}>"
            elif ev.kind in ("offered", "assigned"):
                people = ev.detail.get("offered") or [{"user": ev.detail.get("user", ""), "role": "member"}]
                who = ", ".join(f"<@{p['user']}> ({ROLE_TEXT.get(p['role'], p['role'])})" for p in people)
                until = datetime.fromisoformat(ev.detail["until"]) if ev.detail.get("until") else None
                detail = f" to {who}" + (f", reserved until {_clock(until)}" if until else "")
            elif ev.kind == "offer_skipped":
                detail = f": <@{ev.detail.get('user')}> ({ROLE_TEXT.get(ev.detail.get('role', ''), '')}) is {ev.detail.get('why')}"
            elif ev.kind in ("routed_to_team",):
                detail = f": {ev.detail.get('why', '')}"
            elif ev.kind == "offer_dm":
                detail = f" to <@{ev.detail.get('user')}>"
            elif ev.kind == "source_updated":
                detail = f": {ev.detail.get('source')} updated ({ev.detail.get('change')})"
            elif ev.kind == "resolved":
                detail = f" by <@{ev.actor}>: {ev.detail.get('note', '')}"
            elif ev.detail.get("error"):
                detail = f": {ev.detail['error']}"
            lines.append(Happening(ev.at, f"  [#{rec.id} {rec.conversation}] {label}{detail}"))
    return sorted(lines, key=lambda h: h.at)


def print_result(result: SimResult, *, verbose: bool = True) -> None:
    s = result.scenario
    if verbose:
        print(f"== {s.name or s.source}: what happened (virtual time, UTC)")
        for h in story(result):
            print(f"{_clock(h.at)}  {h.text}")
        print()
    if result.escalations:
        print("== Escalations")
        print(
            f"{'#':>3}  {'conversation':<14} {'urgency':<10} {'category':<13} {'triggers':<34} {'claimed by':<11} {'pickup':>8}"
        )
        for r in result.escalations:
            print(
                f"{r.id:>3}  {r.conversation:<14} {r.urgency:<10} {r.category:<13} {', '.join(r.triggers)[:34]:<34} "
                f"{r.claimed_by or '-':<11} {fmt_duration(r.pickup_seconds):>8}"
            )
        print()
    print("== Expectations")
    for e in result.expectations:
        mark = "PASS" if e["passed"] else "FAIL"
        where = f" (line {e['line']})" if e.get("line") else ""
        print(f"{mark}  {e['expect']}{where}")
        if not e["passed"]:
            for key in e["failed"]:
                print(f"      {key}: expected {e['expect'][key]!r}, got {e['actual'].get(key)!r}")
    for err in result.errors:
        print(f"ERROR {err}")
    passed = sum(1 for e in result.expectations if e["passed"])
    print(f"\n{passed} passed, {len(result.expectations) - passed} failed")


def run_demo(
    *,
    slack_log: str | Path | None = None,
    pager_log: str | Path | None = None,
    helpdesk_log: str | Path | None = None,
    database_url: str = "",
) -> int:
    text = resources.files("bot.scenarios").joinpath("demo.yaml").read_text(encoding="utf-8")
    scenario = parse_scenario_text(
        text, "built-in demo scenario", Path(str(resources.files("bot.scenarios")))
    )
    result = run_scenario(
        scenario, slack_log=slack_log, pager_log=pager_log, helpdesk_log=helpdesk_log, database_url=database_url
    )
    print_result(result, verbose=True)
    if database_url:
        print(f"The run's database is kept: baton report --db {database_url} --since 90d")
    if slack_log:
        print(f"Slack Web API calls written to {slack_log}")
    if helpdesk_log:
        print(f"Intercom and Zendesk requests written to {helpdesk_log}")
    return 0 if result.passed else 1
