"""`baton simulate`: run a scenario in virtual time through the real app, then check its expectations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.cards import Action
from bot.clock import VirtualClock
from bot.policy import load_policy
from bot.sandbox.world import AgentSpec, World
from bot.scenario import Expectation, Scenario, Step, _offset
from bot.simulate_checks import CHECKS, HOLD_WITHOUT_ESCALATION
from bot.simulate_sources import TOKEN as SIM_TOKEN
from bot.simulate_sources import ExternalSender, callback_receiver
from storage import repo
from storage.db import session_scope
from storage.models import Conversation, Escalation, TimelineEvent


@dataclass
class EscalationRecord:
    conversation: str
    id: int
    opened_at: datetime
    triggers: list[str]
    urgency: str
    category: str
    channel: str
    claimed_by: str
    claimed_at: datetime | None
    resolved_at: datetime | None
    customer_notified: bool
    timeline: list[TimelineEvent] = field(default_factory=list)
    status: str = ""
    team: str = ""  # the team it ended with (after any hand-off)
    assigned_to: str = ""  # the member balanced assignment picked

    @property
    def pickup_seconds(self) -> float | None:
        return (self.claimed_at - self.opened_at).total_seconds() if self.claimed_at else None

    def to_json(self) -> dict[str, Any]:
        return {
            "conversation": self.conversation,
            "opened_at": self.opened_at.isoformat(),
            "triggers": self.triggers,
            "urgency": self.urgency,
            "category": self.category,
            "channel": self.channel,
            "claimed_by": self.claimed_by or None,
            "claimed_at": self.claimed_at.isoformat() if self.claimed_at else None,
            "pickup_seconds": self.pickup_seconds,
            "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None,
            "team": self.team,
        }


@dataclass
class Happening:
    """One line of the readable story of a run."""

    at: datetime
    text: str


@dataclass
class SimResult:
    scenario: Scenario
    expectations: list[dict[str, Any]]
    escalations: list[EscalationRecord]
    errors: list[str]
    story: list[Happening]
    conversations: dict[str, tuple[str, str]]

    @property
    def passed(self) -> bool:
        return not self.errors and all(e["passed"] for e in self.expectations)

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "expectations": self.expectations,
            "escalations": [e.to_json() for e in self.escalations],
            "errors": self.errors,
        }


class _Run:
    def __init__(self, scenario: Scenario, world: World) -> None:
        self.s = scenario
        self.w = world
        self.threads: dict[str, tuple[str, str]] = {}  # conversation name -> (channel, thread ts)
        self.errors: list[str] = []
        self.story: list[Happening] = []
        self.external = ExternalSender(world)  # accounts with source: api | intercom | zendesk
        self.conv_source: dict[str, tuple[str, str]] = {}  # conversation -> (source, account), not Slack

    @property
    def driver(self) -> Any:
        assert self.w.driver is not None
        return self.w.driver

    def _where(self, step: Step) -> str:
        return f"{self.s.source}:{step.line}" if step.line else self.s.source

    def _perform_external(self, step: Step) -> bool:
        """A message of a conversation outside Slack: sent as its source sends it. False: a Slack one."""
        if step.kind not in ("customer", "ai", "agent"):
            return False
        known = self.conv_source.get(step.conversation)
        source = known[0] if known else self.s.sources.get(step.account, "slack")
        if source == "slack":
            return False
        account = known[1] if known else step.account
        if known is None:
            if step.kind != "customer":
                self.errors.append(f"{self._where(step)}: no conversation '{step.conversation}' yet")
                return True
            self.conv_source[step.conversation] = (source, account)
            self.threads[step.conversation] = self.external.thread(source, step.conversation)
        error = self.external.send(
            source=source, kind=step.kind, conversation=step.conversation, account=account, text=step.text,
            user=step.user, confidence=step.confidence,
        )  # fmt: skip
        if error:
            self.errors.append(f"{self._where(step)}: {error}")
        who = {"customer": f"Customer of {account}", "ai": "AI agent", "agent": f"Agent {step.user}"}[step.kind]
        self.story.append(Happening(self.w.clock.now(), f"{who} in {step.conversation} via {source}: “{_short(step.text)}”"))
        self.w.settle()
        return True

    def perform(self, step: Step) -> None:
        now = self.w.clock.now()
        if self._perform_external(step):
            return
        if step.kind in ("customer", "ai"):
            customer = self.w.customers[step.account]
            thread = self.threads.get(step.conversation)
            if step.kind == "ai":
                if thread is None:
                    self.errors.append(
                        f"{self._where(step)}: the AI answers before the customer spoke in '{step.conversation}'"
                    )
                    return
                envelope = self._message(customer.channel, self.w.ai_user, step.text, thread[1])
                if step.confidence is not None:
                    # The AI agent reports its confidence as Slack message metadata.
                    envelope["event"]["metadata"] = {
                        "event_type": "ai_answer",
                        "event_payload": {"confidence": step.confidence},
                    }
                self.driver.deliver_event(envelope)
                conf = f" (confidence {step.confidence:.2f})" if step.confidence is not None else ""
                self.story.append(
                    Happening(now, f"AI agent in {step.conversation}: “{_short(step.text)}”{conf}")
                )
            else:
                envelope = self._message(
                    customer.channel, customer.user, step.text, thread[1] if thread else None
                )
                if thread is None:
                    self.threads[step.conversation] = (customer.channel, envelope["event"]["ts"])
                self.driver.deliver_event(envelope)
                self.story.append(
                    Happening(
                        now, f"Customer of {step.account} in {step.conversation}: “{_short(step.text)}”"
                    )
                )
        elif step.kind == "agent":
            thread = self.threads.get(step.conversation)
            if thread is None:
                self.errors.append(f"{self._where(step)}: no conversation '{step.conversation}' yet")
                return
            self.driver.deliver_event(self._message(thread[0], step.user, step.text, thread[1]))
            self.story.append(
                Happening(now, f"Agent <@{step.user}> replies in {step.conversation}: “{_short(step.text)}”")
            )
        elif step.kind == "presence":
            self.w.slack.set_presence(step.user, step.presence)
            self.story.append(Happening(now, f"<@{step.user}> is {step.presence} in Slack"))
        else:
            self._click(step)
        self.w.settle()

    def _message(self, channel: str, user: str, text: str, thread_ts: str | None) -> dict[str, Any]:
        result = self.driver.user_says(channel, user, text, thread_ts=thread_ts, deliver=False)
        envelope: dict[str, Any] = result.envelope
        return envelope

    def _click(self, step: Step) -> None:
        esc = self.escalation(step.conversation)
        if esc is None or not esc.card_ts:
            self.errors.append(
                f"{self._where(step)}: cannot click {step.click} in '{step.conversation}': no escalation card"
            )
            return
        action = CLICK_ACTIONS[step.click]
        now = self.w.clock.now()
        # The card as the agent's Slack client shows it: a render a few seconds old (two agents racing for
        # Claim both see the button; the second is told it was already claimed).
        seen = self.w.slack.message_seen(esc.card_channel, esc.card_ts, now - SEEN_LAG)
        views_before = len(self.w.slack.views)
        told_before = len(self.w.slack.ephemerals)
        try:
            self.driver.click(step.user, esc.card_ts, esc.card_channel, action.value, seen=seen)
        except KeyError:
            self.errors.append(
                f"{self._where(step)}: the card in '{step.conversation}' has no {step.click} button now"
            )
            return
        self.w.settle()
        form = self._form(step)
        views = self.w.slack.views
        if form is not None and len(views) > views_before:
            self.driver.submit_view(step.user, str(views[-1]["id"]), form)
            self.w.settle()
        label = step.click.replace("_", " ").capitalize()
        extra = f" to {step.team}" if step.team else ""
        said = [e["text"] for e in self.w.slack.ephemerals[told_before:] if e.get("user") == step.user]
        answer = f" and is told: “{_short(said[-1], 140)}”" if said else ""
        self.story.append(Happening(now, f"<@{step.user}> clicks {label}{extra} in {step.conversation}{answer}"))

    def _form(self, step: Step) -> dict[str, dict[str, Any]] | None:
        """What the agent types into the form the button opens (None: the button opens none)."""
        if step.click == "resolve":
            return {"resolution": {"note": step.note}, "needed": {"needed": step.needed}}
        if step.click == "hand_off":
            return {"team": {"team": step.team}, "handoff_note": {"note": step.note}}
        if step.click == "note":
            return {"internal_note": {"note": step.note}}
        if step.click == "snooze" and step.until is not None:
            until = self.s.start + step.until
            return {"until": {"until": {"selected_date_time": int(until.timestamp())}}}
        return None

    def escalation(self, conversation: str) -> Escalation | None:
        thread = self.threads.get(conversation)
        if thread is None:
            return None
        with session_scope(self.w.deps.db) as session:
            source = self.conv_source.get(conversation, ("slack", ""))[0]
            conv = repo.find_conversation(session, source, thread[0], thread[1])
            if conv is None or conv.id is None:
                return None
            found = repo.escalations_of_conversation(session, conv.id)
            return found[-1] if found else None


CLICK_ACTIONS = {
    "claim": Action.CLAIM,
    "release": Action.RELEASE,
    "resolve": Action.RESOLVE,
    "take_over": Action.TAKE_OVER,
    "hand_off": Action.HAND_OFF,
    "note": Action.ADD_NOTE,
    "reopen": Action.REOPEN,
    "snooze": Action.SNOOZE,
}
SEEN_LAG = timedelta(seconds=3)  # how far behind the latest render an agent's Slack client may be


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _records(run: _Run) -> list[EscalationRecord]:
    out = []
    with session_scope(run.w.deps.db) as session:
        for name, (channel, ts) in run.threads.items():
            source = run.conv_source.get(name, ("slack", ""))[0]
            conv = repo.find_conversation(session, source, channel, ts)
            if conv is None or conv.id is None:
                continue
            for esc in repo.escalations_of_conversation(session, conv.id):
                assert esc.id is not None
                out.append(
                    EscalationRecord(
                        conversation=name,
                        id=esc.id,
                        opened_at=esc.opened_at,
                        triggers=[t["id"] for t in esc.triggers],
                        urgency=esc.urgency,
                        category=esc.category,
                        channel=esc.card_channel,
                        claimed_by=esc.claimed_by,
                        claimed_at=esc.claimed_at,
                        resolved_at=esc.resolved_at,
                        customer_notified=esc.customer_notified_at is not None,
                        timeline=repo.timeline(session, esc.id),
                        status=esc.status,
                        team=esc.team,
                        assigned_to=esc.assigned_to,
                    )
                )
    return sorted(out, key=lambda r: r.opened_at)


def check(exp: Expectation, records: list[EscalationRecord], start: datetime, run: _Run) -> dict[str, Any]:
    mine = [r for r in records if r.conversation == exp.conversation]
    rec = mine[0] if mine else None
    failures: list[str] = []
    actual: dict[str, Any] = {"escalated": rec is not None}
    for key, want in exp.raw.items():
        if key == "conversation":
            continue
        if key in CHECKS:
            got = CHECKS[key](want, mine)
        elif rec is None and key in HOLD_WITHOUT_ESCALATION:  # never escalated: nothing was paged or told
            got = (want == HOLD_WITHOUT_ESCALATION[key], HOLD_WITHOUT_ESCALATION[key])
        else:
            got = evaluate_key(key, want, rec, start, run)
        actual[key] = got[1]
        if not got[0]:
            failures.append(key)
    return {
        "expect": dict(exp.raw),
        "passed": not failures,
        "actual": actual,
        "failed": failures,
        "line": exp.line,
    }


def evaluate_key(
    key: str, want: Any, rec: EscalationRecord | None, start: datetime, run: _Run
) -> tuple[bool, Any]:
    if key == "escalated":
        return (rec is not None) == want, rec is not None
    if rec is None:
        return False, None
    if key == "escalated_by":
        limit = start + _offset(want, (key,), start)
        return rec.opened_at <= limit, _fmt_offset(rec.opened_at - start)
    if key == "trigger":
        wanted = want if isinstance(want, list) else [want]
        return all(w in rec.triggers for w in wanted), rec.triggers
    if key in ("urgency", "category", "channel", "claimed_by"):
        value = getattr(rec, key)
        return value == want, value or None
    if key == "pickup_max":
        if rec.pickup_seconds is None:
            return False, None
        return rec.pickup_seconds <= _offset(want, (key,), start).total_seconds(), _fmt_offset(
            timedelta(seconds=rec.pickup_seconds)
        )
    if key == "customer_notified":
        return rec.customer_notified == want, rec.customer_notified
    return _paging_key(key, want, rec, start, run)


def _first(rec: EscalationRecord, kinds: tuple[str, ...]) -> TimelineEvent | None:
    return next((e for e in rec.timeline if e.kind in kinds), None)


def _paging_key(key: str, want: Any, rec: EscalationRecord, start: datetime, run: _Run) -> tuple[bool, Any]:
    paged = _first(rec, ("paged",))
    if key == "paged":
        return (paged is not None) == want, paged is not None
    if key == "paged_by":
        if paged is None:
            return False, None
        return paged.at <= start + _offset(want, (key,), start), _fmt_offset(paged.at - start)
    if key == "page_resolved":
        resolved = _first(rec, ("page_resolved",))
        return (resolved is not None) == want, resolved is not None
    if key == "surge":  # part of a surge card
        joined = _first(rec, ("surge_joined",))
        return (joined is not None) == want, joined is not None
    if key in ("breached", "breached_by"):
        breach = _first(rec, ("sla_breached",))
        if key == "breached":
            return (breach is not None) == want, breach is not None
        target = breach.detail.get("target") if breach is not None else None
        return target == want, target
    if key == "reminded_by":
        reminded = _first(rec, ("reminded",))
        if reminded is None:
            return False, None
        return reminded.at <= start + _offset(want, (key,), start), _fmt_offset(reminded.at - start)
    return False, f"unknown expectation {key}"


def _fmt_offset(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return (f"{h}h" if h else "") + (f"{m}m" if m else "") + (f"{s}s" if s or not (h or m) else "")


def run_scenario(
    scenario: Scenario,
    *,
    slack_log: str | Path | None = None,
    pager_log: str | Path | None = None,
    helpdesk_log: str | Path | None = None,
    database_url: str = "",
) -> SimResult:
    policy = load_policy(scenario.policy_path) if scenario.policy_path else load_policy(None)
    clock = VirtualClock(scenario.start)
    agents = [AgentSpec(a.id, a.name, a.email, a.teams) for a in scenario.agents]
    used = set(scenario.sources.values())
    with callback_receiver(clock, "api" in used) as callback, World(
        clock=clock,
        accounts=scenario.raw_accounts,
        agents=agents,
        policy=policy,
        database_url=database_url,
        slack_log=slack_log,
        pager_log=pager_log,
        ingest_tokens=[SIM_TOKEN],
        api_callback=callback,
        helpdesks=bool(used & {"intercom", "zendesk"}),
        helpdesk_log=helpdesk_log,
    ) as world:
        run = _Run(scenario, world)
        for step in scenario.steps:
            world.advance_to(scenario.start + step.at)
            run.perform(step)
        world.advance_to(scenario.start + scenario.run_until)
        records = _records(run)
        results = [check(e, records, scenario.start, run) for e in scenario.expectations]
        if slack_log:
            world.slack.write_log(slack_log)
        world.write_pager_log()
        world.write_helpdesk_log()
    return SimResult(scenario, results, records, run.errors, run.story, dict(run.threads))


__all__ = ["SimResult", "run_scenario", "Conversation"]
