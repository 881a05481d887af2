"""The Intercom and Zendesk adapters of bot/flows/source_adapters.py: what their conversations are told.

- intercom: replies as the configured admin. Handoff: the conversation is assigned to the routed team's
  Intercom team, with an internal note (summary, next actions, the card's link). Claim (and take-over,
  reopen): assigned to the claimer's Intercom admin when Baton can tell who that is, with a note.
  Release: the admin unassigned ("0") and the team assigned again. Resolve: a note, then closed.
  Reopen: opened again.
- zendesk: public comments for the customer. Handoff: priority, group, tags and an internal note.
  Claim: the claimer as the ticket's assignee when mappable, status open. Release: the assignee
  cleared (the group keeps it). Resolve: status solved (with the resolver as assignee when mappable;
  Zendesk solves only an assigned ticket, so when it refuses, the note goes without the status).
  Reopen: status open. Every change adds an internal note and a `baton_<change>` tag.

Who a Slack user is in the helpdesk (`person`): BATON_INTERCOM_ADMINS / BATON_ZENDESK_AGENTS
("U0ALICE=123,..."), else their Slack email (users.info, needs users:read.email) looked up in the
helpdesk (Intercom `GET /admins`, Zendesk `GET /api/v2/users/search.json?query=email:`), cached for
an hour. A lookup that fails for good leaves the assignment out (the note still says who); one that
can be retried retries the whole update before anything is written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.domain.handoff import HandoffState
from bot.flows.outbox import Job, Retry
from bot.flows.sources import Change, ChangeView, Said, Thread, check, client
from integrations.ai_agent import Delivery
from storage.models import Source

log = logging.getLogger(__name__)

PEOPLE_TTL = 3600.0


def slack_email(deps: Deps, user: str) -> str:
    def fetch() -> str:
        try:
            info = deps.slack.users_info(user=user)["user"]
        except SlackApiError:
            return ""
        return str((info.get("profile") or {}).get("email") or "")

    return str(deps.cached(f"email:{user}", PEOPLE_TTL, fetch))


def person(deps: Deps, helpdesk: Any, user: str, lookup: Callable[[str], tuple[Delivery, Any]], what: str) -> Any:
    """The helpdesk's id for a Slack user: configured, else found by email; None when unknown."""
    if not user:
        return None
    if user in helpdesk.people:
        return helpdesk.people[user]
    email = slack_email(deps, user)
    if not email:
        return None
    key = f"{what}:{email.lower()}"
    result, found = deps.cached(key, PEOPLE_TTL, lambda: lookup(email), ttl_of=lambda r: PEOPLE_TTL if r[0].ok else 0.0)
    if not result.ok:
        if result.retry:
            raise Retry(f"{what} lookup: {result.detail}", result.retry_after)
        log.warning("%s lookup for %s refused: %s (no assignment)", what, user, result.detail)
        return None
    return found or None


def _who(view: ChangeView) -> str:
    return view.user_name or "Someone"


class IntercomAdapter:
    SETTING = "BATON_INTERCOM_TOKEN"

    def say(
        self, deps: Deps, job: Job, thread: Thread, text: str, *, said: Said, state: HandoffState | None
    ) -> None:
        check(client(deps, Source.INTERCOM, self.SETTING).reply(thread.external_id, text), "Intercom reply")

    def reflect(self, deps: Deps, job: Job, thread: Thread, view: ChangeView) -> None:
        ic = client(deps, Source.INTERCOM, self.SETTING)
        conv = thread.external_id
        team_id = ic.teams.get(view.team) or ic.teams.get("default", "")
        if view.change == Change.HANDOFF:
            if team_id:
                check(ic.assign(conv, team_id), "Intercom assignment")
            check(ic.note(conv, view.summary()), "Intercom note")
        elif view.change in (Change.CLAIMED, Change.REOPENED):
            admin = person(deps, ic, view.user, ic.admin_by_email, "Intercom admin")
            if view.change == Change.REOPENED:
                check(ic.reopen(conv), "Intercom reopen")
            if admin:
                check(ic.assign(conv, str(admin), to="admin"), "Intercom assignment")
            verb = "reopened" if view.change == Change.REOPENED else "claimed"
            unmapped = "" if admin else " (not assigned: no Intercom admin with their Slack email)"
            check(ic.note(conv, f"{_who(view)} {verb} this in Slack{unmapped}. {view.card_link}".strip()), "Intercom note")
        elif view.change == Change.RELEASED:
            check(ic.assign(conv, "0", to="admin"), "Intercom unassignment")
            if team_id:
                check(ic.assign(conv, team_id), "Intercom assignment")
            check(ic.note(conv, f"{_who(view)} released this in Slack: back in the {view.team} queue."), "Intercom note")
        elif view.change == Change.RESOLVED:
            check(
                ic.note(conv, f"Resolved in Slack by {view.user_name or 'the team'}: {view.note or '(no note)'}"),
                "Intercom note",
            )
            check(ic.close(conv), "Intercom close")


ZENDESK_PRIORITY: Mapping[str, str] = {"immediate": "urgent", "queued": "high"}


class ZendeskAdapter:
    SETTING = "BATON_ZENDESK_TOKEN"

    def say(
        self, deps: Deps, job: Job, thread: Thread, text: str, *, said: Said, state: HandoffState | None
    ) -> None:
        check(
            client(deps, Source.ZENDESK, self.SETTING).comment(thread.external_id, text, public=True),
            "Zendesk comment",
        )

    def reflect(self, deps: Deps, job: Job, thread: Thread, view: ChangeView) -> None:
        zd = client(deps, Source.ZENDESK, self.SETTING)
        ticket: dict[str, Any] = {"additional_tags": ["baton", f"baton_{view.change.value}"]}
        agent = None
        if view.change in (Change.CLAIMED, Change.REOPENED, Change.RESOLVED):
            agent = person(deps, zd, view.user, zd.agent_by_email, "Zendesk agent")
        if agent is not None:
            ticket["assignee_id"] = agent
        if view.change == Change.HANDOFF:
            ticket["priority"] = ZENDESK_PRIORITY.get(view.urgency, "normal")
            group = zd.groups.get(view.team) or zd.groups.get("default")
            if group:
                ticket["group_id"] = group
            ticket["additional_tags"] += [f"baton_{view.category}", f"baton_{view.urgency}"]
            body = view.summary()
        elif view.change in (Change.CLAIMED, Change.REOPENED):
            ticket["status"] = "open"
            verb = "reopened" if view.change == Change.REOPENED else "claimed"
            unmapped = "" if agent is not None else " (not assigned: no Zendesk agent with their Slack email)"
            body = f"{_who(view)} {verb} this in Slack{unmapped}. {view.card_link}".strip()
        elif view.change == Change.RELEASED:
            ticket["assignee_id"] = None
            body = f"{_who(view)} released this in Slack: back in the {view.team} queue."
        else:
            ticket["status"] = "solved"
            body = f"Resolved in Slack by {view.user_name or 'the team'}: {view.note or '(no note)'}"
        ticket["comment"] = {"body": body, "public": False}
        result = zd.update(thread.external_id, ticket)
        if view.change == Change.RESOLVED and not result.ok and not result.retry:
            # Zendesk solves only an assigned ticket: say it was resolved, leave the status to a person.
            ticket.pop("status")
            ticket["comment"] = {"body": body + " (not set solved here: the ticket has no assignee)", "public": False}
            result = zd.update(thread.external_id, ticket)
        check(result, "Zendesk ticket update")
