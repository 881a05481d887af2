"""The card's reading aids, pure Block Kit pieces: the summary at the top, the customer's sentiment as a
trajectory, recent billing as readable lines.

Every text here comes from the customer, the AI agent or a billing system: it is escaped (mrkdwn
injection such as `<!channel>` shows as text) and cut to Slack's limits whatever its size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.domain.summary import SOURCE_LABEL, Summary
from bot.domain.trajectory import Trajectory
from bot.mrkdwn import cut, escape

SECTION_LIMIT = 2900  # a section's text: 3000 (PLATFORM-FACTS), with a margin for emoji
SUMMARY_PART_LIMIT = 560  # each of the summary's lines, so all five fit in one section

# Stripe charge statuses as a person says them.
CHARGE_WORDS = {"succeeded": "paid", "pending": "pending", "failed": "failed"}
CURRENCY_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "inr": "₹", "cad": "CA$", "aud": "A$"}
ZERO_DECIMAL = frozenset({"jpy", "krw", "vnd", "clp", "isk", "ugx", "xaf", "xof"})


def summary_block(summary: Summary | None) -> dict[str, Any] | None:
    """The section at the top of the card: "*Wants* … *AI tried* … *Failed* … *Next* …"."""
    if summary is None or summary.empty:
        return None
    head = f"*Summary* _({SOURCE_LABEL[summary.source]})_"
    lines = [head] + [
        f"*{label}:* {escape(cut(text, SUMMARY_PART_LIMIT))}" for label, text in summary.lines()
    ]
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut("\n".join(lines), SECTION_LIMIT)}}


def summary_text(summary: Summary | None, limit: int = 600) -> str:
    """One line for the notification text: what the customer wants (or the free-form summary)."""
    if summary is None:
        return ""
    return escape(cut(summary.wants or summary.text, limit))


def sentiment_text(trajectory: Trajectory) -> str:
    """ "−0.1 → −0.5 → −0.8 (worsening)"."""
    trend = f" ({trajectory.trend})" if len(trajectory.points) > 1 else ""
    return trajectory.text() + trend


def money(amount: Any, currency: str) -> str:
    """ "$20.00", "€1,250.50", "¥3,000", "20.00 CHF" (amount in major units)."""
    code = (currency or "usd").lower()
    try:
        value = float(amount)
    except (TypeError, ValueError):
        return "?"
    if value != value or value in (float("inf"), float("-inf")):
        return "?"
    number = f"{abs(value):,.0f}" if code in ZERO_DECIMAL else f"{abs(value):,.2f}"
    sign = "-" if value < 0 else ""
    symbol = CURRENCY_SYMBOLS.get(code)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {code.upper()[:3]}"


def _when(created: Any, now: datetime | None) -> str:
    if not isinstance(created, str) or not created:
        return ""
    try:
        at = datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return ""
    day = f"{at.day} {at.strftime('%b')}"
    return day if now is not None and at.year == now.year else f"{day} {at.year}"


def charge_line(charge: Mapping[str, Any], now: datetime | None = None) -> str:
    """ "$20.00 paid 3 Nov · disputed" from a charge as integrations store it (Charge.to_dict)."""
    amount = money(charge.get("amount"), str(charge.get("currency") or "usd"))
    status = str(charge.get("status") or "")
    word = CHARGE_WORDS.get(status, status[:20] or "charged")
    when = _when(charge.get("created"), now)
    line = f"{amount} {word}" + (f" {when}" if when else "")
    flags = [flag for flag in ("disputed", "refunded") if charge.get(flag) is True]
    return " · ".join([line, *flags])


def billing_lines(charges: Sequence[Any], now: datetime | None = None, shown: int = 3) -> list[str]:
    """Readable lines for the most recent charges (escaped; anything that is not a charge is skipped)."""
    return [escape(charge_line(c, now)) for c in charges if isinstance(c, Mapping)][:shown]


HELPDESK_NAMES = {"zendesk": "Zendesk", "freshdesk": "Freshdesk", "intercom": "Intercom"}


def _safe_url(url: str) -> bool:
    return url.startswith(("https://", "http://")) and len(url) <= 500 and not any(c in url for c in "<>| \n")


def ticket_line(ticket: Mapping[str, Any]) -> str:
    """"<url|Zendesk #1001>" for the card's Ticket field: the async handoff ticket, or the source's own."""
    where = HELPDESK_NAMES.get(str(ticket.get("helpdesk", "")), str(ticket.get("helpdesk", "")).title())
    label = escape(cut(f"{where} #{ticket.get('id', '')}", 150))
    url = str(ticket.get("url") or "")
    shown = f"<{url}|{label}>" if _safe_url(url) else label
    return shown + (" (new)" if ticket.get("created") else " (the conversation's own)")


def bug_line(bug: Mapping[str, Any]) -> str:
    """"<url|ENG-123 — title>" for the card's Bug field (the link only for an http(s) URL without
    mrkdwn control characters), and whether Baton created it or found it open on the account."""
    label = escape(cut(f"{bug.get('identifier', '')} — {bug.get('title', '')}".strip(" —"), 150))
    url = str(bug.get("url") or "")
    ok = url.startswith(("https://", "http://")) and len(url) <= 500 and not any(c in url for c in "<>| \n")
    shown = f"<{url}|{label}>" if ok else label
    return shown + (" (new)" if bug.get("created") else " (already open for the account)")
