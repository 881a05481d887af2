"""Pure Block Kit builders: stored state in, Slack message or view out.

Every builder stays within Slack's Block Kit limits whatever the input (PLATFORM-FACTS "Block Kit
limits"): customer text is escaped so `<!channel>`, `<@U...>` and `<http://x|fake>` show as text,
then cut to the field's limit. Action ids live here, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.card_summary import billing_lines, bug_line, sentiment_text, summary_block, ticket_line
from bot.domain.model import FiredTrigger
from bot.domain.summary import Summary
from bot.domain.trajectory import trajectory
from bot.mrkdwn import cut, escape, plain, safe


class Action(StrEnum):
    CLAIM = "baton_claim"
    RELEASE = "baton_release"
    RESOLVE = "baton_resolve"
    TRANSCRIPT = "baton_transcript"  # opens the full transcript (bot/transcript.py)
    TRANSCRIPT_OLDER = "baton_transcript_older"  # pages through it inside the modal
    TRANSCRIPT_NEWER = "baton_transcript_newer"
    REVIEW_NEEDED = "baton_review_needed"  # the monthly review's verdicts (bot/feedback_cards.py)
    REVIEW_NOT_NEEDED = "baton_review_not_needed"
    TAKE_OVER = "baton_take_over"
    HAND_OFF = "baton_hand_off"
    ADD_NOTE = "baton_add_note"
    REOPEN = "baton_reopen"
    SNOOZE = "baton_snooze"
    SURGE_CLAIM = "baton_surge_claim"  # the surge card: claim every waiting member (bot/surge_cards.py)
    SURGE_STATUS = "baton_surge_status"  # the surge card: one status update to every affected customer
    SURGE_RESOLVE = "baton_surge_resolve"  # the surge card: resolve the incident and every escalation in it


# The customer's satisfaction survey: one button per score, action_id CSAT_ACTION_PREFIX + "1".."5"
# (action ids are unique within a block), value "<escalation id>:<score>".
CSAT_ACTION_PREFIX = "baton_csat_"
CSAT_ACTION_PATTERN = r"^baton_csat_[1-5]$"
CSAT_BLOCK = "baton_csat"
# "Should have escalated": the message shortcut (manifest.yml `shortcuts`) and its modal.
MISSED_SHORTCUT = "baton_should_have_escalated"
MISSED_MODAL = "baton_missed_modal"
MISSED_CATEGORY_BLOCK = "missed_category"
MISSED_CATEGORY_ACTION = "category"
MISSED_REASON_BLOCK = "missed_reason"
MISSED_REASON_ACTION = "reason"



# The card's actions block: block_id "esc_<id>@<team>", so a click says which team's card it came from
# (a card left behind by a hand-off cannot claim for the old team). bot/card_modals.py builds the modals.
CARD_BLOCK_PREFIX = "esc_"
HANDOFF_MODAL = "baton_handoff_modal"
HANDOFF_TEAM_BLOCK = "team"
HANDOFF_TEAM_ACTION = "team"
HANDOFF_NOTE_BLOCK = "handoff_note"
HANDOFF_NOTE_ACTION = "note"
NOTE_MODAL = "baton_note_modal"
NOTE_BLOCK = "internal_note"
NOTE_ACTION = "note"
SNOOZE_MODAL = "baton_snooze_modal"
SNOOZE_UNTIL_BLOCK = "until"
SNOOZE_UNTIL_ACTION = "until"


RESOLVE_MODAL = "baton_resolve_modal"
RESOLVE_NOTE_BLOCK = "resolution"
RESOLVE_NOTE_ACTION = "note"
RESOLVE_NEEDED_BLOCK = "needed"
RESOLVE_NEEDED_ACTION = "needed"
RESOLVE_REASON_BLOCK = "needed_reason"
RESOLVE_REASON_ACTION = "reason"
# "Was a human needed?": the answers' values are bot.domain.report.Needed.
NEEDED_OPTIONS: tuple[tuple[str, str], ...] = (
    ("yes", "Yes, a human was needed"),
    ("partly", "Partly"),
    ("no", "No, the AI could have handled it"),
)

# Limits (PLATFORM-FACTS, Block Kit). Text limits count characters; we keep a margin for emoji that
# Slack may count as two.
MAX_BLOCKS = 50
TEXT_LIMIT = 2900  # section/context text objects: 3000
HEADER_LIMIT = 145  # header text: 150
FIELD_LIMIT = 1900  # section fields: 2000 each, at most 10
BUTTON_TEXT_LIMIT = 70  # button text: 75
FALLBACK_LIMIT = 3900  # message `text`: chat.update rejects > 4000
TRANSCRIPT_LINES = 8
TRANSCRIPT_LINE_LIMIT = 500
MAX_REASONS = 3

URGENCY_EMOJI = {"immediate": ":rotating_light:", "queued": ":large_yellow_circle:"}
ROLE_LABEL = {"customer": "Customer", "ai": "AI agent", "agent": "Agent"}


# ---------------------------------------------------------------- safe text


# escape, cut, safe and plain live in bot.mrkdwn (shared with the summary and transcript builders).


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text or " "}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text or " ", "emoji": True}


def _button(
    label: str, action: Action, value: str, style: str | None = None, confirm: dict[str, Any] | None = None
) -> dict[str, Any]:
    b: dict[str, Any] = {
        "type": "button",
        "text": _plain(cut(label, BUTTON_TEXT_LIMIT)),
        "action_id": action.value,
        "value": value,
    }
    if style:
        b["style"] = style
    if confirm:
        b["confirm"] = confirm
    return b


TAKE_OVER_CONFIRM = {
    "title": {"type": "plain_text", "text": "Take over?"},
    "text": {
        "type": "plain_text",
        "text": "Someone else has claimed this escalation. Take it over? They get a message saying you did,"
        " and the timeline records it.",
    },
    "confirm": {"type": "plain_text", "text": "Take over"},
    "deny": {"type": "plain_text", "text": "Cancel"},
}


def quote(text: str, limit: int) -> str:
    """A blockquote of untrusted text."""
    body = safe(text, limit)
    return "\n".join("> " + line if line else ">" for line in body.splitlines()) or "> "


def fmt_time(at: datetime | None) -> str:
    """Slack renders <!date^epoch^...|fallback> in each reader's own time zone."""
    if at is None:
        return "—"
    epoch = int(at.timestamp())
    return f"<!date^{epoch}^{{date_short_pretty}} {{time}}|{at.strftime('%Y-%m-%d %H:%M UTC')}>"


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = max(int(seconds), 0)
    if seconds < 60:
        return f"{seconds}s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s" if secs else f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


# ---------------------------------------------------------------- the escalation card


@dataclass(frozen=True)
class TranscriptLine:
    role: str
    author: str
    text: str
    at: datetime


@dataclass(frozen=True)
class CardView:
    """Everything the card shows, read from storage (re-render, don't patch)."""

    escalation_id: int
    status: str  # open | claimed | resolved
    urgency: str
    category: str
    team: str
    account_id: str
    account_name: str
    customer: str  # a Slack user id (rendered as a mention) or a display name
    opened_at: datetime
    triggers: Sequence[FiredTrigger] = ()
    transcript: Sequence[TranscriptLine] = ()
    total_messages: int = 0
    permalink: str = ""
    tier: str = ""
    mrr: float | None = None
    renewal_date: str = ""
    owner: str = ""
    at_risk: bool = False
    extra: dict[str, Any] = field(default_factory=dict)  # recent billing, open bugs
    missing: Sequence[str] = ()  # account data we could not get, and why
    sentiment: float | None = None
    claimed_by: str = ""
    claimed_at: datetime | None = None
    resolved_by: str = ""
    resolved_at: datetime | None = None
    resolution_note: str = ""
    sla_note: str = ""
    external_customer: bool = True
    prefer_agent: str = ""  # cooling period: who handled this account last
    language: str = ""  # the language the customer writes in, by name ("Spanish"); "" when unknown
    ai_after_handoff: int = 0  # AI agent messages in the thread after Baton told it to stand back
    summary: Summary | None = None  # what the customer wants, what the AI tried... (bot/card_summary.py)
    sentiments: Sequence[float] = ()  # the customer's turns, oldest first: shown as a trajectory
    csat: int | None = None  # the customer's satisfaction score (1-5) after the resolution
    csat_asked: bool = False  # the survey was posted
    handed_from: str = ""  # the team it was handed over from (the last hand-off), its author and note
    handed_by: str = ""
    handoff_note: str = ""
    handed_to: str = ""  # set only on the card left behind in the old team's channel
    snoozed_until: datetime | None = None
    snoozed_by: str = ""
    notes: int = 0  # internal notes (each one is a reply in the card's thread)
    reopenable: bool = False  # resolved, within the policy's reopen window
    linked_threads: int = 0  # other threads the customer opened meanwhile (linked to this escalation)
    sla: SlaView | None = None  # the running SLA target and the first breach
    # Routing to a person (bot/domain/routing.py): the stage, who it is reserved for and until when,
    # and the member balanced assignment picked.
    route_stage: str = ""
    offered_to: Sequence[tuple[str, str]] = ()  # (user, role): owner | previous_handler | member
    offer_until: datetime | None = None
    assigned_to: str = ""


@dataclass(frozen=True)
class SlaView:
    """What the card says about SLA targets (bot/flows/sla_clock.py)."""

    target: str = ""  # pickup | next_reply | "" (none running)
    due_at: datetime | None = None
    left_seconds: float | None = None  # as the target counts (business hours when the team says so)
    target_seconds: float | None = None
    breached_at: datetime | None = None  # the first breach
    breached_by: str = ""  # which target it was


SLA_WORDS = {"pickup": "Pickup", "next_reply": "Next reply"}


def sla_line(sla: SlaView) -> str:
    """":stopwatch: Pickup target 15m: 12m left (due …)" or ":red_circle: SLA breached …", "" for nothing."""
    parts = []
    if sla.breached_at is not None:
        word = SLA_WORDS.get(sla.breached_by, sla.breached_by).lower()
        parts.append(f":red_circle: *SLA breached* ({escape(word)} target) at {fmt_time(sla.breached_at)}")
    if sla.target and sla.due_at is not None and (sla.breached_at is None or sla.due_at > sla.breached_at):
        word = SLA_WORDS.get(sla.target, sla.target)
        amount = f" {fmt_duration(sla.target_seconds)}" if sla.target_seconds else ""
        if sla.left_seconds is not None and sla.left_seconds <= 0:
            parts.append(f":red_circle: {escape(word)} target{amount} passed at {fmt_time(sla.due_at)}")
        else:
            left = fmt_duration(sla.left_seconds)
            parts.append(f":stopwatch: {escape(word)} target{amount}: *{left} left* (due {fmt_time(sla.due_at)})")
    return " · ".join(parts)


def _user(user: str) -> str:
    """A Slack user id becomes a mention; anything else is shown as escaped text."""
    if user and user[0] in "UW" and user[1:].isalnum() and user.isupper():
        return f"<@{user}>"
    return escape(user) if user else "unknown"


user_ref = _user  # for the other builders (bot/transcript.py)
OFFER_ROLE_TEXT = {
    "owner": "the account owner",
    "previous_handler": "who handled it last",
    "member": "fewest open claims",
}


def fmt_clock(at: datetime) -> str:
    """A time of day, in each reader's own time zone (fallback: UTC)."""
    return f"<!date^{int(at.timestamp())}^{{time}}|{at.strftime('%H:%M UTC')}>"


def routing_line(view: CardView) -> str:
    """Who the escalation is with before the team is asked: "offered to @dana, the account owner, until 10:12"."""
    if view.status != "open":
        return ""
    people = ", and ".join(
        f"{_user(u)}, {OFFER_ROLE_TEXT.get(r, escape(r))}"
        if r != "member"
        else f"{_user(u)} ({OFFER_ROLE_TEXT[r]})"
        for u, r in view.offered_to
    )
    until = f" until {fmt_clock(view.offer_until)}" if view.offer_until is not None else ""
    if until and view.offered_to and view.offered_to[-1][1] != "member":
        until = "," + until  # "offered to @dana, the account owner, until 10:12"
    if view.route_stage == "offered" and people:
        return f":dart: Offered to {people}{until}; then the team is asked"
    if view.route_stage == "assigned" and people:
        return f":dart: Assigned to {people}{until}; then the team is asked"
    if view.route_stage in ("deciding_offer", "deciding_assign"):
        return ":dart: Finding the right person to offer it to first"
    if view.assigned_to:
        return (
            f":dart: Assigned to {_user(view.assigned_to)}, who did not claim it in time: the team is asked"
        )
    return ""


def offer_intro(view: CardView, role: str, until: datetime) -> str:
    """The first line of an offer DM: why this person, and how long it is theirs."""
    name = escape(view.account_name or view.account_id)
    when = fmt_clock(until)
    if role == "owner":
        return f":wave: *{name}* needs a person, and you own the account: it is yours until {when}, then the team is asked."
    if role == "previous_handler":
        return f":leftwards_arrow_with_hook: You handled *{name}* last time, and they are back: it is reserved for you until {when}, then the team is asked."
    return f":inbox_tray: Baton assigned you *{name}* (you have the fewest open claims): claim it by {when}, or the team is asked."


def build_offer_dm(view: CardView, role: str, until: datetime) -> dict[str, Any]:
    """The DM of an offer: why it is theirs and until when, then the card with Claim."""
    card = build_card(view)
    intro = offer_intro(view, role, until)
    blocks = card["blocks"]
    if len(blocks) < MAX_BLOCKS:
        blocks = [{"type": "section", "text": _mrkdwn(cut(intro, TEXT_LIMIT))}, *blocks]
    text = intro.replace(fmt_clock(until), until.strftime("%H:%M UTC")) + " " + card["text"]
    return {"text": cut(text, FALLBACK_LIMIT), "blocks": blocks}


def card_text(view: CardView) -> str:
    """The notification/fallback text (also what screen readers and old clients show)."""
    state = {
        "open": "waiting for a human",
        "claimed": f"claimed by {_user(view.claimed_by)}",
        "resolved": "resolved",
        "snoozed": "snoozed",
    }
    if view.handed_to:
        state[view.status] = f"handed to team {escape(view.handed_to)}"
    head = f"{view.urgency.capitalize()} escalation ({view.category}) for {escape(view.account_name or view.account_id)}"
    reason = view.triggers[0].reason if view.triggers else ""
    return cut(f"{head}: {escape(reason)} — {state.get(view.status, view.status)}", FALLBACK_LIMIT)


def _status_line(view: CardView) -> str:
    if view.handed_to:
        by = f" by {_user(view.handed_by)}" if view.handed_by else ""
        return f":arrow_right: *Handed to team {escape(view.handed_to)}*{by}"
    if view.status == "snoozed":
        by = f" by {_user(view.snoozed_by)}" if view.snoozed_by else ""
        return f":zzz: *Snoozed*{by} until {fmt_time(view.snoozed_until)}"
    if view.status == "resolved":
        by = f" by {_user(view.resolved_by)}" if view.resolved_by else ""
        return f":white_check_mark: *Resolved*{by} at {fmt_time(view.resolved_at)}"
    if view.status == "claimed":
        pickup = (view.claimed_at - view.opened_at).total_seconds() if view.claimed_at else None
        return (
            f":raising_hand: *Claimed* by {_user(view.claimed_by)} at {fmt_time(view.claimed_at)}"
            f" · picked up in {fmt_duration(pickup)}"
        )
    return f":hourglass_flowing_sand: *Waiting for a human* since {fmt_time(view.opened_at)}"


def _account_fields(view: CardView) -> list[dict[str, Any]]:
    fields = [
        _mrkdwn(cut(f"*Customer*\n{_user(view.customer)}", FIELD_LIMIT)),
        _mrkdwn("*Account*\n" + safe(view.account_name or view.account_id, FIELD_LIMIT - 20)),
    ]
    if view.tier:
        fields.append(
            _mrkdwn(
                cut(
                    f"*Tier*\n{escape(view.tier)}" + (" · :warning: at risk" if view.at_risk else ""),
                    FIELD_LIMIT,
                )
            )
        )
    if view.mrr is not None:
        fields.append(_mrkdwn(f"*MRR*\n${view.mrr:,.0f}"))
    if view.renewal_date:
        fields.append(_mrkdwn(cut(f"*Renewal*\n{escape(view.renewal_date)}", FIELD_LIMIT)))
    if view.owner:
        fields.append(_mrkdwn(cut(f"*Owner*\n{_user(view.owner)}", FIELD_LIMIT)))
    billing = view.extra.get("recent_charges") or []
    items = billing_lines(billing, view.opened_at) if isinstance(billing, list) else []
    if items:
        fields.append(_mrkdwn(cut("*Recent billing*\n" + "\n".join(items), FIELD_LIMIT)))
    bugs = view.extra.get("open_bugs") or []
    if bugs:
        items = [
            escape(f"{b.get('identifier', '')} {b.get('title', '')}".strip())
            for b in bugs[:3]
            if isinstance(b, dict)
        ]
        fields.append(_mrkdwn(cut("*Open bugs*\n" + "\n".join(items), FIELD_LIMIT)))
    bug = view.extra.get("bug")
    if isinstance(bug, dict) and bug.get("identifier"):
        fields.append(_mrkdwn(cut(f"*Bug*\n{bug_line(bug)}", FIELD_LIMIT)))
    ticket = view.extra.get("ticket")
    if isinstance(ticket, dict) and ticket.get("id"):
        fields.append(_mrkdwn(cut(f"*Ticket*\n{ticket_line(ticket)}", FIELD_LIMIT)))
    trend = trajectory(view.sentiments)
    if trend is not None:
        fields.append(_mrkdwn(cut(f"*Sentiment*\n{sentiment_text(trend)}", FIELD_LIMIT)))
    elif view.sentiment is not None:
        fields.append(_mrkdwn(f"*Sentiment*\n{view.sentiment:+.2f}"))
    return fields[:10]


def _reason_line(t: FiredTrigger) -> str:
    line = f"• *{escape(t.reason)}* (`{escape(t.id)}`, {t.urgency})"
    ev = t.evidence[0] if t.evidence else None
    if ev is not None and ev.score is not None and ev.threshold is not None and ev.detail:
        # what was measured, then the words that drove it: "human_request 0.97 ≥ 0.50 — “is a real…”"
        line += f"\n    {escape(cut(ev.detail, 160))}"
        if ev.quote:
            line += f" — “{escape(cut(ev.quote, 200))}”"
    elif ev is not None:
        if ev.quote:
            line += f"\n    “{escape(cut(ev.quote, 200))}”"
        if ev.score is not None and ev.threshold is not None:
            line += f"  score {ev.score:.2f} vs threshold {ev.threshold:.2f}"
        elif ev.detail:
            line += f"  {escape(cut(ev.detail, 200))}"
    return line


def build_card(view: CardView) -> dict[str, Any]:
    """The escalation card: {"text": fallback, "blocks": [...]} for chat.postMessage / chat.update."""
    emoji = URGENCY_EMOJI.get(view.urgency, ":bell:")
    header = plain(
        f"{view.urgency.upper()} · {view.category} · {view.account_name or view.account_id}", HEADER_LIMIT
    )
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(header)},
        {
            "type": "context",
            "elements": [
                _mrkdwn(cut(f"{emoji} {_status_line(view)} · team *{escape(view.team)}*", TEXT_LIMIT))
            ],
        },
    ]
    summary = summary_block(view.summary)
    if summary is not None:
        blocks.append(summary)
    if view.ai_after_handoff:
        n = view.ai_after_handoff
        kept = (
            f":warning: *The AI kept answering after the handoff* ({n} message{'s' if n > 1 else ''}):"
            " check what the customer was told."
        )
        blocks.append({"type": "context", "elements": [_mrkdwn(kept)]})
    if view.sla is not None:
        sla_text = sla_line(view.sla)
        if sla_text:
            blocks.append({"type": "context", "elements": [_mrkdwn(cut(sla_text, TEXT_LIMIT))]})
    if view.language:
        writes = f":speech_balloon: Customer writes in *{escape(view.language)}*"
        blocks.append({"type": "context", "elements": [_mrkdwn(cut(writes, TEXT_LIMIT))]})
    if view.handed_from and not view.handed_to:
        moved = f":leftwards_arrow_with_hook: Handed over from team *{escape(view.handed_from)}*"
        if view.handed_by:
            moved += f" by {_user(view.handed_by)}"
        if view.handoff_note:
            moved += f": “{escape(cut(view.handoff_note, 1500))}”"
        blocks.append({"type": "context", "elements": [_mrkdwn(cut(moved, TEXT_LIMIT))]})
    if view.linked_threads:
        n = view.linked_threads
        linked = f":link: The customer also wrote in {n} other thread{'s' if n > 1 else ''}, linked here (see the card's thread)"
        blocks.append({"type": "context", "elements": [_mrkdwn(linked)]})
    if view.notes:
        n = view.notes
        blocks.append(
            {"type": "context", "elements": [_mrkdwn(f":memo: {n} internal note{'s' if n > 1 else ''} in the thread")]}
        )
    routed = routing_line(view)
    if routed:
        blocks.append({"type": "context", "elements": [_mrkdwn(cut(routed, TEXT_LIMIT))]})
    if view.prefer_agent:
        handled = f":leftwards_arrow_with_hook: Previously handled by {_user(view.prefer_agent)}"
        blocks.append({"type": "context", "elements": [_mrkdwn(cut(handled, TEXT_LIMIT))]})
    blocks.append({"type": "section", "fields": _account_fields(view)})
    if view.missing:
        blocks.append(
            {
                "type": "context",
                "elements": [_mrkdwn(safe("Account data missing: " + "; ".join(view.missing), TEXT_LIMIT))],
            }
        )
    reasons = list(view.triggers)[:MAX_REASONS]
    if reasons:
        more = len(view.triggers) - len(reasons)
        budget = (TEXT_LIMIT - 120) // MAX_REASONS  # each reason gets its share; the trailer always fits
        why = "*Why Baton escalated*\n" + "\n".join(cut(_reason_line(t), budget) for t in reasons)
        if more > 0:
            why += f"\n_+{more} more reason{'s' if more > 1 else ''} in the timeline_"
        blocks.append({"type": "section", "text": _mrkdwn(cut(why, TEXT_LIMIT))})
    blocks.append({"type": "divider"})
    shown = list(view.transcript)[-TRANSCRIPT_LINES:]
    earlier = max(view.total_messages, len(view.transcript)) - len(shown)
    if earlier > 0:
        blocks.append(
            {
                "type": "context",
                "elements": [_mrkdwn(f"_{earlier} earlier message{'s' if earlier > 1 else ''} not shown_")],
            }
        )
    for line in shown:
        label = ROLE_LABEL.get(line.role, line.role)
        who = f"{label} {_user(line.author)}" if line.role != "ai" else label
        blocks.append(
            {
                "type": "section",
                "text": _mrkdwn(
                    cut(
                        f"*{who}* · {fmt_time(line.at)}\n{quote(line.text, TRANSCRIPT_LINE_LIMIT)}",
                        TEXT_LIMIT,
                    )
                ),
            }
        )
    footer = []
    if view.permalink:
        footer.append(f"<{view.permalink}|Open the conversation>")
    if view.sla_note:
        footer.append(escape(view.sla_note))
    if view.status == "resolved" and view.resolution_note:
        footer.append("Resolution: " + escape(view.resolution_note))
    if view.csat is not None:
        footer.append(f"Customer rated {':star:' * view.csat} {view.csat}/5")
    elif view.csat_asked:
        footer.append("Satisfaction survey sent, no answer yet")
    if view.handed_to and view.handoff_note:
        footer.append("Hand-off note: " + escape(view.handoff_note))
    if footer:
        blocks.append({"type": "context", "elements": [_mrkdwn(cut(" · ".join(footer), TEXT_LIMIT))]})
    buttons = _buttons(view)
    if buttons:
        blocks.append({"type": "actions", "block_id": card_block_id(view.escalation_id, view.team), "elements": buttons})
    assert len(blocks) <= MAX_BLOCKS
    return {"text": card_text(view), "blocks": blocks}


def card_block_id(escalation_id: int, team: str) -> str:
    return cut(f"{CARD_BLOCK_PREFIX}{escalation_id}@{team}", 255)


def team_of_block(block_id: str) -> str | None:
    """The team a card's actions block was rendered for; None for a block without one (older cards)."""
    if not block_id.startswith(CARD_BLOCK_PREFIX) or "@" not in block_id:
        return None
    return block_id.split("@", 1)[1]


def _buttons(view: CardView) -> list[dict[str, Any]]:
    """What can be done on the card in its state (who may do it is checked when it is clicked)."""
    value = str(view.escalation_id)
    transcript = _button("Transcript", Action.TRANSCRIPT, value)
    if view.handed_to:  # the card left behind by a hand-off: it says where it went, and shows what was said
        return [transcript]
    hand = _button("Hand to another team", Action.HAND_OFF, value)
    note = _button("Add note", Action.ADD_NOTE, value)
    if view.status == "open":
        out = [_button("Claim", Action.CLAIM, value, "primary"), transcript, hand, note]
        if view.urgency == "queued":
            out.append(_button("Snooze", Action.SNOOZE, value))
        return out
    if view.status == "snoozed":
        return [_button("Claim", Action.CLAIM, value, "primary"), transcript, note]
    if view.status == "claimed":
        return [
            _button("Resolve", Action.RESOLVE, value, "primary"),
            _button("Release", Action.RELEASE, value),
            transcript,
            _button("Take over", Action.TAKE_OVER, value, confirm=TAKE_OVER_CONFIRM),
            hand,
            note,
        ]
    if view.status == "resolved":
        return [_button("Reopen", Action.REOPEN, value), transcript, note] if view.reopenable else [transcript, note]
    return [transcript]


def ephemeral(text: str) -> dict[str, Any]:
    return {
        "text": cut(text, FALLBACK_LIMIT),
        "blocks": [{"type": "section", "text": _mrkdwn(cut(text, TEXT_LIMIT))}],
    }
