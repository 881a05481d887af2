"""Routing to a person first: the account owner and the previous handler, then balanced assignment,
then the team's channel (the rules are pure, in bot/domain/routing.py).

The decision needs Slack (is the person present? who is the owner's Slack account?), so it runs as an
outbox effect (ROUTE) once the escalation's transaction has committed, and its result is applied by a
conditional UPDATE on `route_step`: a duplicate, a late retry or a second instance changes nothing.
Each reservation is a deadline column (`offer_until`, indexed) that the sweep steps, so a restart in
the middle of an offer window loses nothing. While the escalation is reserved, the team's chain
(remind, page, notify the manager) is held; it starts when the team is asked. A decision that cannot
be made within `DECIDE_DEADLINE` (Slack unreachable) asks the team anyway: degrade, never drop.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot import cards
from bot.deps import Deps
from bot.domain import chain, routing
from bot.domain.model import Account
from bot.domain.routing import DECIDING, RESERVED, Candidate, OfferRole, Plan, RouteStage
from bot.flows import offer_dms, outbox, render, sla, slack_post
from bot.flows.oncall import slack_user_for_email
from bot.flows.outbox import EffectKind, Handler, Job
from bot.policy import Policy, Team
from storage import actions_repo, repo, routing_repo
from storage.db import read_scope, session_scope
from storage.models import OPEN, Escalation, TimelineKind

log = logging.getLogger(__name__)

PRESENCE_TTL = 30.0  # seconds a users.getPresence answer is reused (Tier 3: ~50 calls a minute)
ACTIVE_TTL = 300.0  # ... and whether the person is an active member (users.info)


# ---------------------------------------------------------------- opening


def opening(policy: Policy, team: Team, account: Account, prefer_agent: str, now: datetime) -> dict[str, Any]:
    """Column values for a new escalation that routing will offer to someone first ({}: straight to the
    team). Nothing is asked of Slack here: the ROUTE effect decides, with `DECIDE_DEADLINE` to do it in."""
    cfg = team.routing
    if not cfg.enabled:
        return {}
    owner_known = bool(account.owner or account.extra.get("owner_email"))
    first = (OfferRole.OWNER in cfg.first_offer and owner_known) or (
        OfferRole.PREVIOUS_HANDLER in cfg.first_offer and bool(prefer_agent)
    )
    if first:
        stage = RouteStage.DECIDING_OFFER
    elif cfg.members:
        stage = RouteStage.DECIDING_ASSIGN
    else:
        return {}
    return {"route_stage": stage.value, "offer_until": now + routing.DECIDE_DEADLINE}


def after_open(session: Session, deps: Deps, esc: Escalation, now: datetime) -> None:
    """Queue the routing decision of a new escalation (and, when the team's routing does not offer it to
    the previous handler, the cooling period's plain DM to them, as before routing)."""
    assert esc.id is not None
    if esc.route_stage in DECIDING:
        outbox.enqueue(session, esc.id, EffectKind.ROUTE, now, key="0", step=0)
    team = deps.policy.teams.get(esc.team)
    offered = (
        team is not None and team.routing.enabled and OfferRole.PREVIOUS_HANDLER in team.routing.first_offer
    )
    if esc.prefer_agent and not offered:
        outbox.enqueue(session, esc.id, EffectKind.DM_PREVIOUS_HANDLER, now, user=esc.prefer_agent)


# ---------------------------------------------------------------- who is around


def _active(deps: Deps, user: str) -> bool:
    def fetch() -> bool:
        try:
            info = deps.slack.users_info(user=user)["user"]
        except SlackApiError as exc:
            if exc.response is not None and exc.response.get("error") == "user_not_found":
                return False
            raise
        return not info.get("deleted") and not info.get("is_bot")

    return bool(deps.cached(f"active:{user}", ACTIVE_TTL, fetch))


def _present(deps: Deps, user: str) -> bool:
    def fetch() -> bool:
        return str(deps.slack.users_getPresence(user=user).get("presence", "")) == "active"

    return bool(deps.cached(f"presence:{user}", PRESENCE_TTL, fetch))


def _candidate(deps: Deps, user: str, role: OfferRole, load: int = 0) -> Candidate:
    found = _active(deps, user)
    return Candidate(user, role, found=found, present=found and _present(deps, user), open_claims=load)


def _first_offer_candidates(
    deps: Deps, cfg: routing.RoutingConfig, account: Account, prefer: str
) -> list[Candidate]:
    owner_id, email = routing.owner_hint(account.owner, str(account.extra.get("owner_email") or ""))
    unresolved: Candidate | None = None
    if not owner_id and OfferRole.OWNER in cfg.first_offer and (email or account.owner):
        owner_id = (slack_user_for_email(deps, email) or "") if email else ""
        if not owner_id:
            why = (
                f"no Slack user has the owner's email {email}"
                if email
                else f"the CRM names {account.owner} as the owner but gives no email to find them in Slack"
            )
            unresolved = Candidate(account.owner or email, OfferRole.OWNER, problem=why)
    people = routing.first_offer_people(cfg, owner_id, prefer)
    with read_scope(deps.db) as session:
        load = routing_repo.open_load(session, [user for user, _ in people])
    found = [_candidate(deps, user, role, load.get(user, 0)) for user, role in people]
    return [unresolved, *found] if unresolved is not None else found


def _member_candidates(deps: Deps, cfg: routing.RoutingConfig, offered: set[str]) -> list[Candidate]:
    """The team's members with their load; those who had the first offer and let it run out are passed over."""
    users = [m.user for m in cfg.members]
    with read_scope(deps.db) as session:
        load = routing_repo.open_load(session, users)
    return [
        Candidate(user, OfferRole.MEMBER, offered_first=True)
        if user in offered
        else _candidate(deps, user, OfferRole.MEMBER, load.get(user, 0))
        for user in users
    ]


# ---------------------------------------------------------------- deciding


@dataclass(frozen=True)
class Decision:
    """A routing decision made from what was read (Slack, the load), before it is applied."""

    step: int
    plan: Plan
    members: tuple[Candidate, ...] = ()  # the members considered, for a recount under the lock
    earlier: tuple[routing.Skip, ...] = ()  # skips of the first offer


def decide(deps: Deps, job: Job) -> Decision | None:
    """Who is offered the escalation now: the first offer, else balanced assignment, else the team
    (None: nothing to decide any more). Reads Slack and the load; writes nothing."""
    step = int(job.payload.get("step", 0))
    with read_scope(deps.db) as session:
        esc = session.get(Escalation, job.esc_id)
        if esc is None or esc.status != OPEN or esc.route_step != step or esc.route_stage not in DECIDING:
            return None  # claimed, resolved, or the sweep moved on (the decision came too late)
        stage, team_name, prefer = RouteStage(esc.route_stage), esc.team, esc.prefer_agent
        offered = {str(o.get("user", "")) for o in esc.offered_to}  # the first offer, now run out
        if prefer and prefer in actions_repo.handed_off_by(session, job.esc_id):
            prefer = ""  # who handed it to this team is not offered it back as its previous handler
    team = sla.find_team(deps.policy, team_name)
    cfg = team.routing
    now = deps.clock.now()
    earlier: list[routing.Skip] = []
    if stage == RouteStage.DECIDING_OFFER:
        account = render.account_of(deps, job.esc_id)
        plan, earlier = routing.plan_first_offer(
            cfg, _first_offer_candidates(deps, cfg, account, prefer), now, team.hours
        )
        if plan is not None:
            return Decision(step, plan)
    members = _member_candidates(deps, cfg, offered) if cfg.members else []
    plan = routing.plan_assignment(cfg, members, team.hours, now, earlier)
    return Decision(step, plan, tuple(members), tuple(earlier))


def apply(deps: Deps, job: Job, decision: Decision) -> bool:
    """Apply a decision, once (the conditional UPDATE on the routing step). An assignment is checked
    again against the members' caps under a lock on their load (routing_repo.locked_load): two
    escalations decided at the same moment for the same member cannot both take her last place; the
    second is re-planned with the fresh counts (the next member, or the team)."""
    now = deps.clock.now()
    with session_scope(deps.db) as session:
        esc = session.get(Escalation, job.esc_id)
        if esc is None:
            job.finish_in(session, now)
            return False
        plan = decision.plan
        team = sla.find_team(deps.policy, esc.team)
        if plan.stage == RouteStage.ASSIGNED:
            fresh = routing_repo.locked_load(session, [c.user for c in decision.members])
            members = [
                c if c.offered_first else replace(c, open_claims=fresh.get(c.user, 0)) for c in decision.members
            ]
            plan = routing.plan_assignment(team.routing, members, team.hours, now, decision.earlier)
        moved = routing_repo.advance_route(session, job.esc_id, decision.step, **_values(deps, esc, plan, now))
        if moved:
            reason = routing.channel_reason(plan, bool(team.routing.members))
            _record(session, job.esc_id, plan, decision.step + 1, now, reason)
        job.finish_in(session, now)
        return moved


def _route(deps: Deps, job: Job) -> None:
    decision = decide(deps, job)
    if decision is not None:
        apply(deps, job, decision)


def _chain_start(deps: Deps, esc: Escalation, now: datetime) -> dict[str, Any]:
    """The team is asked: the held chain starts now (or at the opening, after hours)."""
    if esc.next_step_at is not None or esc.steps_done or not esc.chain:
        return {}  # running already (urgency raised, released) or nothing to run
    start = max(esc.chain_started_at or now, now)
    h = sla.team_hours(deps.policy, esc.team)
    return {
        "chain_started_at": start,
        "next_step_at": chain.next_deadline(esc.chain, start, 0, h),
        "sla_note": sla.describe_next(deps.policy, esc.team, esc.chain, start, 0),
    }


def _values(deps: Deps, esc: Escalation, plan: Plan, now: datetime) -> dict[str, Any]:
    if plan.stage in RESERVED:
        values: dict[str, Any] = {
            "route_stage": plan.stage.value,
            "offered_to": [{"user": c.user, "role": c.role.value} for c in plan.offered],
            "offer_until": plan.until,
        }
        if plan.stage == RouteStage.ASSIGNED:
            values["assigned_to"] = plan.offered[0].user
        return values
    return {
        "route_stage": RouteStage.CHANNEL.value,
        "offered_to": [],
        "offer_until": None,
        **_chain_start(deps, esc, now),
    }


def _record(session: Session, esc_id: int, plan: Plan, step: int, now: datetime, reason: str) -> None:
    for s in plan.skipped:
        repo.log(session, esc_id, now, TimelineKind.OFFER_SKIPPED, user=s.user, role=s.role.value, why=s.why)
    until = plan.until.isoformat() if plan.until else None
    if plan.stage == RouteStage.OFFERED:
        repo.log(
            session,
            esc_id,
            now,
            TimelineKind.OFFERED,
            offered=[{"user": c.user, "role": c.role.value} for c in plan.offered],
            until=until,
        )
    elif plan.stage == RouteStage.ASSIGNED:
        picked = plan.offered[0]
        repo.log(
            session,
            esc_id,
            now,
            TimelineKind.ASSIGNED,
            user=picked.user,
            open_claims=picked.open_claims,
            until=until,
        )
    else:
        repo.log(session, esc_id, now, TimelineKind.ROUTED_TO_TEAM, why=reason)
    for c in plan.offered:
        outbox.enqueue(
            session,
            esc_id,
            EffectKind.OFFER_DM,
            now,
            key=f"{step}:{c.user}",
            user=c.user,
            role=c.role.value,
            step=step,
            until=until,
        )
    outbox.enqueue(session, esc_id, EffectKind.UPDATE_CARD, now, key=outbox.unique())


# ---------------------------------------------------------------- the sweep


def run_due(deps: Deps, now: datetime) -> list[int]:
    """Step every reservation (or routing decision) that ran out, once. Returns the escalations that moved."""
    moved: list[int] = []
    with session_scope(deps.db) as session:
        for esc in routing_repo.due_offers(session, now):
            assert esc.id is not None
            stage = RouteStage(esc.route_stage) if esc.route_stage in set(RouteStage) else RouteStage.NONE
            cfg = sla.find_team(deps.policy, esc.team).routing
            values: dict[str, Any]
            if stage == RouteStage.OFFERED and cfg.members:
                values = {  # offered_to is kept: assignment passes over who had the first offer
                    "route_stage": RouteStage.DECIDING_ASSIGN.value,
                    "offer_until": now + routing.DECIDE_DEADLINE,
                }
            elif stage in RESERVED or stage in DECIDING:
                values = {
                    "route_stage": RouteStage.CHANNEL.value,
                    "offered_to": [],
                    "offer_until": None,
                    **_chain_start(deps, esc, now),
                }
            else:
                values = {"offer_until": None}
            step, offered, until = esc.route_step, list(esc.offered_to), esc.offer_until
            if not routing_repo.advance_route(session, esc.id, step, **values):
                continue  # claimed meanwhile, or another instance took it
            if stage in RESERVED:
                repo.log(
                    session,
                    esc.id,
                    now,
                    TimelineKind.OFFER_EXPIRED,
                    offered=offered,
                    until=until.isoformat() if until else None,
                )
                offer_dms.queue_update(session, esc.id, now)
            if values.get("route_stage") == RouteStage.DECIDING_ASSIGN:
                outbox.enqueue(session, esc.id, EffectKind.ROUTE, now, key=str(step + 1), step=step + 1)
            elif stage in RESERVED:
                repo.log(
                    session,
                    esc.id,
                    now,
                    TimelineKind.ROUTED_TO_TEAM,
                    why="nobody claimed it in the reserved window",
                )
            elif stage in DECIDING:
                log.warning("escalation %s: routing could not be decided in time; asking the team", esc.id)
                repo.log(
                    session,
                    esc.id,
                    now,
                    TimelineKind.ROUTED_TO_TEAM,
                    why="the routing decision did not finish in time",
                )
            outbox.enqueue(session, esc.id, EffectKind.UPDATE_CARD, now, key=outbox.unique())
            moved.append(esc.id)
    return moved


# ---------------------------------------------------------------- who it is with


def with_whom(esc: Escalation) -> str:
    """For /escalations and App Home: "claimed by @a", "offered to @d until 10:12", "assigned to @b"."""
    if esc.claimed_by:
        return f"claimed by <@{esc.claimed_by}>"
    people = ", ".join(f"<@{o.get('user', '')}>" for o in esc.offered_to)
    until = f" until {cards.fmt_clock(esc.offer_until)}" if esc.offer_until is not None else ""
    if esc.route_stage == RouteStage.OFFERED and people:
        return f"*offered to* {people}{until}"
    if esc.route_stage == RouteStage.ASSIGNED and people:
        return f"*assigned to* {people}{until}"
    if esc.assigned_to:
        return f"*unclaimed* (assigned to <@{esc.assigned_to}>)"
    return "*unclaimed*"


def reserved_for(esc: Escalation, user: str) -> bool:
    """Is this open escalation offered or assigned to `user` right now?"""
    return esc.route_stage in RESERVED and any(o.get("user") == user for o in esc.offered_to)


# ---------------------------------------------------------------- the DM


def _offer_dm(deps: Deps, job: Job) -> None:
    """The offer itself: a DM with why it is theirs, until when, and the card with Claim."""
    payload = job.payload
    user, role, step = str(payload.get("user", "")), str(payload.get("role", "")), int(payload.get("step", 0))
    until = datetime.fromisoformat(str(payload["until"])) if payload.get("until") else None
    if not user or until is None:
        raise outbox.Permanent("an offer DM needs a user and a time")
    account = render.account_of(deps, job.esc_id)
    with read_scope(deps.db) as session:
        esc = session.get(Escalation, job.esc_id)
        if esc is None or esc.status != OPEN or esc.route_step != step:
            return  # claimed, or the offer ran out, before the DM could go
        view = render.card_view(session, deps, esc, account)
        team = esc.team
    body = cards.build_offer_dm(view, role, until)
    # at most once across crashes: a retry looks for this item's marker in the DM first
    dm, ts = slack_post.post_dm_once(
        deps, job, user=user, text=body["text"], blocks=body["blocks"], unfurl_links=False
    )
    now = deps.clock.now()
    with session_scope(deps.db) as session:
        job.finish_in(session, now)
        repo.log(
            session, job.esc_id, now, TimelineKind.OFFER_DM, user=user, role=role, channel=dm, ts=ts, step=step, team=team
        )


HANDLERS: dict[EffectKind, Handler] = {
    EffectKind.ROUTE: _route,
    EffectKind.OFFER_DM: _offer_dm,
}
