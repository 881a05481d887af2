"""All of Baton's tables, in one place.

Conventions: times are aware UTC (UTCDateTime); JSON columns hold plain data; every deadline is an
indexed column so `sweep(now)` reads only what is due.
"""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, text
from sqlalchemy import false as sa_false
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime

# Escalation status values.
OPEN = "open"
CLAIMED = "claimed"
RESOLVED = "resolved"
SNOOZED = "snoozed"  # a queued escalation put aside until `snoozed_until` (the sweep wakes it)
ACTIVE_STATUSES = (OPEN, CLAIMED, SNOOZED)


class Source(StrEnum):
    """Where a conversation happens, and so how Baton answers its customer (bot/flows/sources.py)."""

    SLACK = "slack"  # a Slack Connect channel
    API = "api"  # any AI agent or helpdesk, through POST /api/v1/messages
    INTERCOM = "intercom"  # an Intercom conversation (webhooks in, REST API out)
    ZENDESK = "zendesk"  # a Zendesk ticket (webhooks in, REST API out)


class TimelineKind(StrEnum):
    """What an escalation's timeline records (escalation_timeline.kind)."""

    OPENED = "opened"
    AFTER_HOURS = "after_hours"
    URGENCY_RAISED = "urgency_raised"
    REASONS_ADDED = "reasons_added"
    CLAIMED = "claimed"
    RELEASED = "released"
    RESOLVED = "resolved"
    FEEDBACK = "feedback"  # the resolver's (or a reviewer's) answer to "Was a human needed?"
    CSAT_ASKED = "csat_asked"  # the satisfaction survey was posted in the customer's thread
    CSAT_ANSWERED = "csat_answered"  # the customer's score
    CSAT_LOW_NOTIFIED = "csat_low_notified"  # a low score: the team's manager was told
    CARD_POSTED = "card_posted"
    CARD_LOST = "card_lost"
    CUSTOMER_NOTIFIED = "customer_notified"
    CUSTOMER_TOLD = "customer_told"
    CUSTOMER_TOLD_CLAIMED = "customer_told_claimed"
    CUSTOMER_TOLD_WAITING = "customer_told_waiting"
    PREVIOUS_HANDLER_DM = "previous_handler_dm"
    PREVIOUS_HANDLER_UNAVAILABLE = "previous_handler_unavailable"
    EFFECT_FAILED = "effect_failed"
    STEP = "step"
    STEP_OVERDUE = "step_overdue"
    REMINDED = "reminded"
    PAGE_REQUESTED = "page_requested"
    PAGE_SKIPPED = "page_skipped"
    PAGED = "paged"
    PAGE_FAILED = "page_failed"
    PAGE_RESOLVED = "page_resolved"
    PAGE_RESOLVE_FAILED = "page_resolve_failed"
    ONCALL_UNKNOWN = "oncall_unknown"
    ONCALL_DM = "oncall_dm"
    MANAGER_NOTIFIED = "manager_notified"
    OPENING_SUMMARY_POSTED = "opening_summary_posted"
    CUSTOMER_TOLD_RESOLVED = "customer_told_resolved"  # the thread handed back to the AI agent
    AI_AFTER_HANDOFF = "ai_after_handoff"  # the AI kept answering after the handoff
    AI_WEBHOOK_DELIVERED = "ai_webhook_delivered"
    AI_WEBHOOK_REFUSED = "ai_webhook_refused"
    AI_WEBHOOK_SKIPPED = "ai_webhook_skipped"
    BUG_LINKED = "bug_linked"  # an open Linear bug of the account linked (detail: identifier, url, created)
    TICKET_LINKED = "ticket_linked"  # the async handoff ticket (detail: helpdesk, id, url, created)
    # What agents do on the card besides claiming (bot/flows/card_actions.py, docs/agent-actions.md):
    TAKEN_OVER = "taken_over"  # another member took a claimed escalation over (detail: from)
    PREVIOUS_CLAIMER_TOLD = "previous_claimer_told"  # the one taken over from got a DM
    HANDED_OFF = "handed_off"  # to another team (detail: from_team, to_team, note, old card)
    CUSTOMER_TOLD_HANDED_OFF = "customer_told_handed_off"
    CAME_BACK = "came_back"  # the customer wrote again after the resolve (detail: forwarded_to, text)
    LINKED_THREAD = "linked_thread"  # the customer opened another thread meanwhile (detail: channel, thread_ts)
    CUSTOMER_TOLD_LINKED = "customer_told_linked"
    NOTE_ADDED = "note_added"  # an internal note (also a reply in the card's thread)
    REOPENED = "reopened"
    SNOOZED = "snoozed"  # detail: until
    WOKEN = "woken"  # a snoozed escalation back in the queue (detail: why)
    SLA_WARNING = "sla_warning"  # a target's deadline is near (detail: target, due_at)
    SLA_BREACHED = "sla_breached"  # a target's deadline passed (detail: target, due_at, target_seconds)
    SLA_MET = "sla_met"  # picked up, or answered, in time (detail: target, due_at)
    HUMAN_REPLIED = "human_replied"  # a person of ours answered in the customer's thread
    KEEP_ALIVE = "keep_alive"  # the customer was told we are still on it (detail: wait_seconds)
    OVERTIME = "overtime"  # the chain had ended unclaimed: its last step ran again, the manager was told
    # Routing to a person (bot/flows/offer.py)
    OFFERED = "offered"  # reserved for the account owner / previous handler until a time
    OFFER_SKIPPED = "offer_skipped"  # someone could not be offered it (away, at their cap...), and why
    OFFER_DM = "offer_dm"  # the DM with the card and Claim reached them (detail: channel, ts, step, team)
    OFFER_DM_UPDATED = "offer_dm_updated"  # the offer is over and its DM says so (detail: ts, outcome, who)
    OFFER_EXPIRED = "offer_expired"  # nobody claimed within the reserved window
    ASSIGNED = "assigned"  # balanced assignment picked a member
    ROUTED_TO_TEAM = "routed_to_team"  # the team is asked (the chain starts), and why
    SOURCE_UPDATED = "source_updated"  # the conversation's source (Intercom, Zendesk, a callback) was told
    SURGE_JOINED = "surge_joined"  # part of a surge now (detail: surge, cause): its own chain stopped
    SURGE_STATUS_SENT = "surge_status_sent"  # the surge's status update was sent to this customer


def _utc(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _json(default: Any) -> Any:
    return Field(default_factory=default, sa_column=Column(JSON, nullable=False))


class Conversation(SQLModel, table=True):
    """A customer conversation: a Slack thread in a customer channel, or an ingested helpdesk thread."""

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("source", "channel", "thread_ts", name="uq_conversation_thread"),
        # Reports count the conversations watched in a period from this index alone.
        Index("ix_conversations_watched", "last_message_at", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=32)  # a Source value
    channel: str = Field(max_length=64)  # Slack channel id; other sources: their conversation id
    thread_ts: str = Field(max_length=64)  # the parent message ts (Slack) or the external conversation id
    # The conversation's id in its source (Intercom conversation id, Zendesk ticket id, the ingest API's
    # conversation_id); empty for Slack, whose (channel, thread_ts) is the id.
    external_id: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    account_id: str = Field(max_length=128, index=True)
    customer_id: str = Field(default="", max_length=64)  # who started it
    customer_team: str = Field(default="", max_length=64)  # their Slack team (Slack Connect)
    permalink: str = Field(default="", max_length=500)  # link to the conversation, fetched once
    # A new thread the customer opened while an escalation of theirs was open elsewhere: its messages go to
    # that escalation (its card and claimer), not to the AI agent, for as long as it is open.
    linked_escalation_id: int | None = Field(default=None, index=True)
    created_at: datetime = _utc(nullable=False)
    last_message_at: datetime = _utc(nullable=False)


class Message(SQLModel, table=True):
    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("source", "channel", "ts", name="uq_message_channel_ts"),)

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversations.id", index=True)
    source: str = Field(max_length=32)
    channel: str = Field(max_length=64)
    ts: str = Field(max_length=64)  # Slack ts (string, never a float) or the ingest message id
    role: str = Field(max_length=16)  # customer | ai | agent
    author: str = Field(default="", max_length=64)
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    sent_at: datetime = _utc(nullable=False, index=True)  # the drift check counts conversations per hour band
    confidence: float | None = None
    analysis: dict[str, Any] = _json(dict)  # the engine's per-message features: analysed once
    # The AI agent's own summary sent with this message (bot.domain.summary.Summary.to_dict()), if any.
    ai_summary: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


REPORT_COLUMNS = (
    "opened_at",
    "team",
    "urgency",
    "tier",
    "category",
    "language",
    "primary_trigger",
    "needed",
    "claimed_at",
    "resolved_at",
    "first_customer_at",
    "tte_s",
    "pickup_s",
    "pickup_business_s",
    "handle_s",
    "csat",
    "csat_asked_at",
    "high_value",
    "pickup_breaches",
    "next_reply_breaches",
    "conversation_id",  # the escalation rate counts escalated conversations (migration 0024)
)


class Escalation(SQLModel, table=True):
    __tablename__ = "escalations"
    __table_args__ = (
        # One active escalation per conversation, enforced by the database (races included).
        Index(
            "uq_escalation_active_per_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=text("status != 'resolved'"),
            postgresql_where=text("status != 'resolved'"),
        ),
        # The sweep's "cards to refresh" query reads only the few dirty rows.
        Index(
            "ix_escalations_dirty_cards",
            "card_dirty",
            sqlite_where=text("card_dirty = 1"),
            postgresql_where=text("card_dirty"),
        ),
        # Expected wait: recent pickups of one team.
        Index("ix_escalations_team_opened", "team", "opened_at"),
        # Reports read one period of escalations from this index alone (SQLite: a covering index;
        # PostgreSQL: an index-only scan), never the wide rows: every column a report query reads.
        Index("ix_escalations_report", *REPORT_COLUMNS),
    )

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversations.id", index=True)
    account_id: str = Field(max_length=128, index=True)
    tier: str = Field(default="self-serve", max_length=32)
    # What the policy called high value when it opened (EngineConfig.is_high_value: the enterprise segment,
    # by tier or MRR): the report compares these accounts' CSAT with the average.
    high_value: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    status: str = Field(default=OPEN, max_length=16, index=True)
    urgency: str = Field(max_length=16)  # immediate | queued
    category: str = Field(max_length=32)
    team: str = Field(default="", max_length=64)
    triggers: list[dict[str, Any]] = _json(list)  # FiredTrigger.to_dict() with evidence, most important first
    # A summary an LLM wrote for the card (bot/flows/summaries.py), when one is configured.
    llm_summary: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # The Linear bug on the card (bot/flows/bugs.py): {id, identifier, title, url, created}.
    bug: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
    # The async handoff ticket on the card (bot/flows/tickets.py): {helpdesk, id, url, created}.
    ticket: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
    prefer_agent: str = Field(default="", max_length=64)
    # What decided it: the customer's language (ISO 639-1, "und" when unknown) and the versions of the
    # judgment model and of the policy, so a report or a review can tell decisions of different builds apart.
    language: str = Field(default="und", max_length=8, sa_column_kwargs={"server_default": "und"})
    model_version: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    policy_version: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    # For reports: the trigger that opened it, and when the customer started asking (the conversation's
    # first customer message, or the first after the previous resolution).
    primary_trigger: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    first_customer_at: datetime | None = _utc()
    # The resolver's answer to "Was a human needed?" (yes | no | partly, "" when not answered).
    needed: str = Field(default="", max_length=8, sa_column_kwargs={"server_default": ""})
    needed_reason: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # ... who answered it and when, and where: "resolve" (the resolve modal) or "review" (the monthly review)
    needed_by: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    needed_at: datetime | None = _utc()
    needed_via: str = Field(default="", max_length=16, sa_column_kwargs={"server_default": ""})
    # Customer satisfaction: the survey was posted (csat_asked_at), the customer's score 1-5, when and who.
    csat: int | None = None
    csat_at: datetime | None = _utc()
    csat_by: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    csat_asked_at: datetime | None = _utc()
    # Durations in seconds, stored when they happen so reports aggregate plain numbers in SQL
    # (bot.domain.report_tally.Durations): time to escalation at opening, pickup (wall clock and the
    # team's business hours) at claim, handle time at resolve. A report fills in any that are missing.
    tte_s: float | None = Field(default=None)
    pickup_s: float | None = Field(default=None)
    pickup_business_s: float | None = Field(default=None)
    handle_s: float | None = Field(default=None)

    card_channel: str = Field(default="", max_length=64)
    card_ts: str = Field(default="", max_length=64)
    card_dirty: bool = Field(default=False)  # stored state changed since the card was last rendered
    card_version: int = Field(
        default=0, sa_column_kwargs={"server_default": "0"}
    )  # +1 at every change the card shows
    card_updated_at: datetime | None = _utc()

    opened_at: datetime = _utc(nullable=False)
    claimed_by: str = Field(default="", max_length=64)
    claimed_at: datetime | None = _utc()
    resolved_at: datetime | None = _utc()
    resolved_by: str = Field(default="", max_length=64)
    resolution_note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    customer_notified_at: datetime | None = _utc()

    # SLA chain: frozen when the escalation opens; steps_done counts executed steps since chain_started_at.
    chain: list[dict[str, Any]] = _json(list)
    chain_started_at: datetime | None = _utc()
    steps_done: int = Field(default=0)
    next_step_at: datetime | None = _utc(index=True)
    sla_note: str = Field(default="", max_length=300)  # what the card says about the chain
    # Snooze: a queued escalation put aside until then (status snoozed); the sweep wakes it.
    snoozed_until: datetime | None = _utc(index=True)
    snoozed_by: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})

    # Paging state the flows decide on (kept here, never parsed back out of the timeline):
    page_key: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    # ^ the dedup key of the page the pager accepted (or the surge incident it joined)
    paged_at: datetime | None = _utc()  # on-call was paged (pager or, without one, the DM)
    chain_page_requested: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    after_hours_page_requested: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})

    # SLA targets (bot/domain/sla_targets.py, bot/flows/sla_clock.py): the running target and its deadline,
    # the warning before it, and `sla_check_at`, the next instant the sweep must look (the earlier of the
    # two, or NULL). The first breach stays for reports (breached_at, breached_by = the target's name).
    sla_target: str = Field(default="", max_length=16, sa_column_kwargs={"server_default": ""})
    sla_due_at: datetime | None = _utc()
    sla_warn_at: datetime | None = _utc()
    sla_check_at: datetime | None = _utc(index=True)
    breached_at: datetime | None = _utc(index=True)
    breached_by: str = Field(default="", max_length=16, sa_column_kwargs={"server_default": ""})
    # Every breach counted per target, for the reports (a release can breach pickup again; each customer
    # message after a human reply starts a next-reply target of its own).
    pickup_breaches: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    next_reply_breaches: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    last_human_reply_at: datetime | None = _utc()
    # The dead zone: the customer's next keep-alive while unclaimed, and the next repeat of the chain's
    # last step (with a note to the manager) once the chain has run out.
    keepalive_at: datetime | None = _utc(index=True)
    overtime_at: datetime | None = _utc(index=True)
    overtime_rounds: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # Routing to a person (bot/domain/routing.py, bot/flows/offer.py): the stage (RouteStage), a counter
    # that each routing step moves on by a conditional UPDATE, who it is reserved for until offer_until
    # (indexed: the sweep steps expired offers), and the member balanced assignment picked.
    route_stage: str = Field(default="", max_length=24, sa_column_kwargs={"server_default": ""})
    route_step: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    offered_to: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default=text("'[]'"))
    )  # [{"user": U..., "role": owner | previous_handler | member}]
    offer_until: datetime | None = _utc(index=True)
    assigned_to: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    # A surge (bot/domain/surge.py): the cause it shares with others ("error:502", "outage", "" for none)
    # and the surge it joined; its own chain stops then, the surge card pages and reminds once for all.
    cause: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    surge_id: int | None = Field(default=None, index=True)  # surges.id


class Surge(SQLModel, table=True):
    """Many escalations of one team for the same cause: one card, one page, one reminder."""

    __tablename__ = "surges"
    __table_args__ = (
        # One open surge per team and cause, enforced by the database (two instances, races).
        Index(
            "uq_surge_open_per_cause",
            "team",
            "cause",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    team: str = Field(max_length=64)
    cause: str = Field(max_length=64)
    status: str = Field(default="open", max_length=16)  # open | over (every member claimed or resolved)
    opened_at: datetime = _utc(nullable=False)
    card_channel: str = Field(default="", max_length=64)
    card_ts: str = Field(default="", max_length=64)
    remind_at: datetime | None = _utc(index=True)  # the one reminder; NULL once sent
    status_updates: int = Field(default=0)  # status updates sent to every affected customer
    # "Resolve surge" on the card: the incident and its escalations resolved at once (bot/flows/surge_resolve.py)
    resolved_at: datetime | None = _utc()
    resolved_by: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    resolution_note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class TimelineEvent(SQLModel, table=True):
    """Append-only record of everything that happened to an escalation."""

    __tablename__ = "escalation_timeline"

    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int = Field(foreign_key="escalations.id", index=True)
    at: datetime = _utc(nullable=False)
    kind: str = Field(
        max_length=48
    )  # opened, reason_added, card_posted, customer_notified, claimed, released, ...
    actor: str = Field(default="", max_length=64)
    detail: dict[str, Any] = _json(dict)


class ProcessedInbound(SQLModel, table=True):
    """Ids of inbound deliveries already taken in (Slack event_id, webhook ids): duplicates are normal input."""

    __tablename__ = "processed_inbound"

    key: str = Field(primary_key=True, max_length=200)
    received_at: datetime = _utc(nullable=False)


class OutboxItem(SQLModel, table=True):
    """A side effect that must happen at least once (a page, a card post), retried until accepted."""

    __tablename__ = "outbox"
    __table_args__ = (
        # Only pending items are ever looked up by time; done ones pile up without slowing the sweep.
        Index(
            "ix_outbox_pending_due",
            "next_attempt_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=48)  # page_trigger, page_resolve, ...
    escalation_id: int | None = Field(default=None, foreign_key="escalations.id", index=True)
    dedup: str = Field(max_length=200, unique=True)  # one item per logical effect
    payload: dict[str, Any] = _json(dict)
    status: str = Field(default="pending", max_length=16)  # pending | done | failed
    attempts: int = Field(default=0)
    next_attempt_at: datetime = _utc(nullable=False)
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = _utc(nullable=False)
    done_at: datetime | None = _utc()


class InboxItem(SQLModel, table=True):
    """A request Slack sent, stored before Baton answered it, until a worker has processed it.

    `key` is the delivery's own id (an event's event_id, an interaction's trigger_id): Slack's retries
    and a replayed spool insert nothing. `available_at` is when a worker may take it: now for a new
    item, the end of the lease for one being processed (a crashed worker's items come back), the next
    attempt for one that failed.
    """

    __tablename__ = "inbox"
    __table_args__ = (
        Index(
            "ix_inbox_pending",
            "lane",
            "available_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    lane: str = Field(max_length=16)  # bot.inbox.Lane: events | interactive
    kind: str = Field(max_length=64)  # the event or interaction type (message, block_actions, ...)
    content_type: str = Field(max_length=100)
    body: str = Field(sa_column=Column(Text, nullable=False))  # the raw request body, as signed
    status: str = Field(default="pending", max_length=16)  # storage.inbox.Status
    attempts: int = Field(default=0)
    available_at: datetime = _utc(nullable=False)
    received_at: datetime = _utc(nullable=False)
    done_at: datetime | None = _utc()
    last_error: str = Field(default="", max_length=500)


class RateWindow(SQLModel, table=True):
    """Requests counted per caller (an ingest token) and fixed window, shared by every process."""

    __tablename__ = "rate_windows"

    bucket: str = Field(primary_key=True, max_length=200)  # "{caller}:{window start, Unix seconds}"
    count: int = Field(default=0)
    window_start: datetime = _utc(nullable=False, index=True)


class SweepHeartbeat(SQLModel, table=True):
    """The last sweep of each process (host:pid): /readyz and /metrics read how fresh the newest is."""

    __tablename__ = "sweep_heartbeats"

    worker: str = Field(primary_key=True, max_length=200)
    at: datetime = _utc(nullable=False, index=True)
    duration_ms: float = Field(default=0.0)


class MissedEscalation(SQLModel, table=True):
    """A customer message an agent marked "Should have escalated" (a false negative of the policy)."""

    __tablename__ = "missed_escalations"
    __table_args__ = (UniqueConstraint("channel", "message_ts", name="uq_missed_message"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=64)
    message_ts: str = Field(max_length=64)
    thread_ts: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    conversation_id: int | None = None  # the conversation Baton recorded, when it saw the message
    account_id: str = Field(default="", max_length=128, sa_column_kwargs={"server_default": ""})
    category: str = Field(default="", max_length=32, sa_column_kwargs={"server_default": ""})
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    reported_by: str = Field(max_length=64)
    reported_at: datetime = _utc(nullable=False, index=True)


class ReviewPost(SQLModel, table=True):
    """One posted false-positive review: the sampled escalations and the message that shows them."""

    __tablename__ = "review_posts"
    __table_args__ = (UniqueConstraint("period", name="uq_review_posts_period"),)

    id: int | None = Field(default=None, primary_key=True)
    period: str = Field(max_length=32)  # the review's key: YYYY-MM for the scheduled one, else a unique id
    label: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})  # "last month"
    start: datetime | None = _utc()
    end: datetime | None = _utc()
    escalation_ids: list[int] = _json(list)
    channel: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    ts: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    created_at: datetime = _utc(nullable=False)


class HomeViewer(SQLModel, table=True):
    """Someone who opened Baton's App Home tab: refreshes publish to them (recent ones first)."""

    __tablename__ = "home_viewers"

    user: str = Field(primary_key=True, max_length=64)
    opened_at: datetime = _utc(nullable=False, index=True)


class ChartFile(SQLModel, table=True):
    """A chart PNG already uploaded to Slack, by its content's digest: the same chart is uploaded once."""

    __tablename__ = "chart_files"

    digest: str = Field(primary_key=True, max_length=64)
    file_id: str = Field(max_length=64)
    created_at: datetime = _utc(nullable=False)
