"""Block Kit for the feedback loop (pure: data in, blocks out): the customer's satisfaction survey, the
"Should have escalated" modal, the monthly review and the drift alert. Ids live in bot/cards.py.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.cards import (
    BUTTON_TEXT_LIMIT,
    CSAT_ACTION_PREFIX,
    CSAT_BLOCK,
    FALLBACK_LIMIT,
    MAX_BLOCKS,
    MISSED_CATEGORY_ACTION,
    MISSED_CATEGORY_BLOCK,
    MISSED_MODAL,
    MISSED_REASON_ACTION,
    MISSED_REASON_BLOCK,
    TEXT_LIMIT,
    Action,
    cut,
    escape,
    fmt_time,
    plain,
    safe,
)
from bot.domain.csat import SCORES
from bot.domain.drift import OVERALL, Finding, band_label
from bot.domain.review import Advice, TriggerAdvice

SCORE_FACES = {
    1: ":disappointed:",
    2: ":slightly_frowning_face:",
    3: ":neutral_face:",
    4: ":slightly_smiling_face:",
    5: ":star-struck:",
}


def _text(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text or " "}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text or " ", "emoji": True}


# ---------------------------------------------------------------- the customer's survey


def survey_message(escalation_id: int, question: str) -> dict[str, Any]:
    """The question and one button per score (external Slack Connect users can click them)."""
    buttons = [
        {
            "type": "button",
            "text": _plain(f"{SCORE_FACES[n]} {n}"),
            "action_id": f"{CSAT_ACTION_PREFIX}{n}",
            "value": f"{escalation_id}:{n}",
        }
        for n in SCORES
    ]
    return {
        "text": cut(question, FALLBACK_LIMIT),
        "blocks": [
            {"type": "section", "text": _text(safe(question, TEXT_LIMIT))},
            {"type": "actions", "block_id": f"{CSAT_BLOCK}_{escalation_id}", "elements": buttons},
        ],
    }


def survey_answered(thanks: str, score: int) -> dict[str, Any]:
    """What the survey becomes once answered: the thanks and the score, no buttons."""
    line = f"{safe(thanks, TEXT_LIMIT - 40)} {SCORE_FACES.get(score, '')} {score}/5"
    return {"text": cut(thanks, FALLBACK_LIMIT), "blocks": [{"type": "section", "text": _text(line)}]}


# ---------------------------------------------------------------- "Should have escalated"


def missed_modal(
    *, channel: str, ts: str, thread_ts: str, quote: str, categories: Sequence[str], account: str
) -> dict[str, Any]:
    meta = json.dumps({"channel": channel, "ts": ts, "thread_ts": thread_ts})
    return {
        "type": "modal",
        "callback_id": MISSED_MODAL,
        "private_metadata": meta,
        "title": _plain("Should have escalated"),
        "submit": _plain("Record"),
        "close": _plain("Cancel"),
        "blocks": [
            {
                "type": "section",
                "text": _text(
                    cut(
                        f"Baton did not escalate this message from *{escape(account)}*:\n"
                        + "\n".join("> " + line for line in safe(quote, 1500).splitlines()),
                        TEXT_LIMIT,
                    )
                ),
            },
            {
                "type": "input",
                "block_id": MISSED_CATEGORY_BLOCK,
                "optional": True,
                "label": _plain("What kind of escalation was it?"),
                "element": {
                    "type": "static_select",
                    "action_id": MISSED_CATEGORY_ACTION,
                    "placeholder": _plain("Category"),
                    "options": [{"text": _plain(c), "value": c} for c in categories[:100]],
                },
            },
            {
                "type": "input",
                "block_id": MISSED_REASON_BLOCK,
                "optional": True,
                "label": _plain("Why should it have escalated? (optional)"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": MISSED_REASON_ACTION,
                    "max_length": 500,
                    "placeholder": _plain("e.g. a chargeback threat in other words"),
                },
            },
        ],
    }


def missed_recorded_view() -> dict[str, Any]:
    """The modal after Record: the report counts it under missed escalations."""
    return {
        "type": "modal",
        "title": _plain("Should have escalated"),
        "close": _plain("Done"),
        "blocks": [
            {
                "type": "section",
                "text": _text(
                    ":white_check_mark: Recorded as a missed escalation. It counts in `/escalations report`"
                    " and in the policy backtest export."
                ),
            }
        ],
    }


def not_a_customer_message(reason: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": _plain("Should have escalated"),
        "close": _plain("OK"),
        "blocks": [{"type": "section", "text": _text(safe(reason, TEXT_LIMIT))}],
    }


# ---------------------------------------------------------------- the monthly review


@dataclass(frozen=True)
class ReviewItem:
    escalation_id: int
    trigger: str
    category: str
    account: str
    opened_at: datetime
    quote: str  # the customer's message that opened it
    needed: str  # current verdict: yes | partly | no | ""
    needed_by: str
    needed_via: str
    link: str = ""


_VERDICT = {"yes": "needed", "partly": "partly needed", "no": "not needed"}
_ADVICE = {
    Advice.TIGHTEN: ":small_red_triangle_down: tighten",
    Advice.LOOSEN: ":small_red_triangle: could loosen",
    Advice.KEEP: ":white_check_mark: keep",
    Advice.UNMEASURED: ":grey_question: too few answers",
}


def _item_blocks(review_id: int, item: ReviewItem) -> list[dict[str, Any]]:
    verdict = ""
    if item.needed:
        who = f" by <@{item.needed_by}>" if item.needed_by else ""
        via = " in review" if item.needed_via == "review" else " at resolve"
        verdict = f"\n_{_VERDICT.get(item.needed, item.needed)}{who}{via}_"
    link = f" · <{item.link}|card>" if item.link else ""
    text = (
        f"*#{item.escalation_id}* `{escape(item.trigger or '(none)')}` · {escape(item.category)} · "
        f"{escape(item.account)} · {fmt_time(item.opened_at)}{link}\n"
        + "> "
        + safe(item.quote, 400).replace("\n", "\n> ")
        + verdict
    )
    value = f"{review_id}:{item.escalation_id}"
    return [
        {"type": "section", "text": _text(cut(text, TEXT_LIMIT))},
        {
            "type": "actions",
            "block_id": f"review_{item.escalation_id}",
            "elements": [
                {
                    "type": "button",
                    "text": _plain("Needed"),
                    "action_id": Action.REVIEW_NEEDED.value,
                    "value": value,
                    **({"style": "primary"} if item.needed in ("yes", "partly") else {}),
                },
                {
                    "type": "button",
                    "text": _plain("Not needed"),
                    "action_id": Action.REVIEW_NOT_NEEDED.value,
                    "value": value,
                    **({"style": "danger"} if item.needed == "no" else {}),
                },
            ],
        },
    ]


def advice_lines(advice: Sequence[TriggerAdvice], missed: int) -> list[str]:
    lines = []
    for a in advice[:12]:
        prec = "–" if a.precision is None else f"{a.precision * 100:.0f}%"
        lines.append(
            f"• `{escape(a.trigger)}`: {_ADVICE[a.advice]} · precision {prec} ({a.needed} of {a.answered} answered,"
            f" {a.escalations} escalation{'s' if a.escalations != 1 else ''})"
        )
    if missed:
        lines.append(
            f'• {missed} missed escalation{"s" if missed != 1 else ""} reported ("Should have escalated")'
        )
    return lines


def review_message(
    *,
    review_id: int,
    period: str,
    items: Sequence[ReviewItem],
    advice: Sequence[TriggerAdvice],
    missed: int,
    gaps: dict[str, Any] | None = None,
) -> dict[str, Any]:
    answered = sum(1 for i in items if i.needed_via == "review")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(plain(f"False-positive review, {period}", 145))},
        {
            "type": "context",
            "elements": [
                _text(
                    f"{len(items)} escalations sampled by trigger; {answered} reviewed. Was a human needed?"
                    " Verdicts count as feedback in `/escalations report`."
                )
            ],
        },
    ]
    for item in items:
        blocks += _item_blocks(review_id, item)
    summary = [
        "*Suggestions by trigger* (precision from every answer this period)",
        *advice_lines(advice, missed),
    ]
    tail: list[dict[str, Any]] = [
        {"type": "divider"},
        {"type": "section", "text": _text(cut("\n".join(summary), TEXT_LIMIT))},
    ]
    if gaps:  # the knowledge gaps' own section (bot.flows.gaps.Gaps.section)
        tail.append(gaps)
    blocks = blocks[: MAX_BLOCKS - len(tail)] + tail
    text = f"False-positive review, {period}: {len(items)} escalations to check"
    return {"text": text, "blocks": blocks}


# ---------------------------------------------------------------- drift


def drift_text(day: str, findings: Sequence[Finding], bands: int) -> str:
    lines = [f":chart_with_upwards_trend: *Escalation rate drift on {escape(day)}*"]
    for f in findings:
        what = "all escalations" if f.series == OVERALL else f"trigger `{escape(f.series)}`"
        arrow = (
            ":small_red_triangle: rose"
            if f.direction and f.direction.value == "rise"
            else ":small_red_triangle_down: dropped"
        )
        rate = f"{(f.rate or 0) * 100:.1f}%"
        base = f"{(f.baseline_rate or 0) * 100:.1f}%"
        lines.append(
            f"• {what} {arrow}: {f.observed} escalations where {f.expected:.1f} were expected"
            f" ({rate} of {f.conversations} conversations vs {base}; z = {f.z:+.1f};"
            f" most in {band_label(f.worst_band, bands)})"
        )
    lines.append(
        "_A rise often follows a product change or an outage; a drop can mean customers gave up. Compared with the"
        " same weekday and hours of the weeks before (docs/reports.md)._"
    )
    return cut("\n".join(lines), TEXT_LIMIT)


CHECK_LINES = 12  # series listed in a manual check's answer (all escalations first, then triggers)


def drift_check_text(
    day: str, findings: Sequence[Finding], *, bands: int, weeks: int, min_baseline: int, posted_to: str
) -> str:
    """`/escalations drift`: what the check found, alert or not, series by series."""
    alerts = [f for f in findings if f.direction is not None]
    if alerts:
        head = drift_text(day, alerts, bands)
        where = f" The daily check posts such alerts, with the chart, to <#{posted_to}>." if posted_to else ""
        return cut(f"{head}\n_Checked now, on request.{where}_", TEXT_LIMIT)
    lines = [
        f":white_check_mark: *No escalation rate drift on {escape(day)}*: {len(findings)} series checked"
        f" against the same weekday of the {weeks} week{'s' if weeks != 1 else ''} before; none rose or"
        " dropped significantly."
    ]
    for f in findings[:CHECK_LINES]:
        what = "all escalations" if f.series == OVERALL else f"`{escape(f.series)}`"
        if f.baseline_conversations < min_baseline:
            lines.append(f"• {what}: {f.observed} escalations; too little history to judge")
            continue
        lines.append(f"• {what}: {f.observed} escalations where {f.expected:.1f} were expected (z = {f.z:+.1f})")
    if len(findings) > CHECK_LINES:
        lines.append(f"…and {len(findings) - CHECK_LINES} more triggers.")
    return cut("\n".join(lines), TEXT_LIMIT)


__all__ = [
    "BUTTON_TEXT_LIMIT",
    "ReviewItem",
    "advice_lines",
    "drift_check_text",
    "drift_text",
    "missed_modal",
    "missed_recorded_view",
    "not_a_customer_message",
    "review_message",
    "survey_answered",
    "survey_message",
]
