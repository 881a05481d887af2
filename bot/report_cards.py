"""Block Kit for the manager's report (pure: figures in, blocks out)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.cards import TEXT_LIMIT, cut, escape, fmt_duration
from bot.domain.csat import HIGH_VALUE, HIGH_VALUE_RULE, CsatSummary
from bot.domain.gaps import Topic
from bot.domain.report import Figures, Group, Quantiles, Ratio

MAX_GROUP_LINES = 12


def _pct(r: Ratio) -> str:
    return "–" if r.value is None else f"{r.value * 100:.1f}%"


def _change(
    now: float | None, before: float | None, *, points: bool, lower_is_better: bool, score: bool = False
) -> str:
    """The change against the period before: percentage points (`points`), a score on the 1–5 scale
    (`score`), else a duration; marked when it went the wrong way."""
    if now is None or before is None:
        return ""
    delta = now - before
    if abs(delta) < 1e-9:
        return " (no change)"
    arrow = ":small_red_triangle:" if delta > 0 else ":small_red_triangle_down:"
    good = (delta < 0) == lower_is_better
    mark = "" if good else " :warning:"
    if score:
        return f" ({arrow} {delta:+.2f} vs before{mark})"
    text = f"{delta * 100:+.1f} pts" if points else fmt_duration(abs(delta))
    if not points:
        text = ("+" if delta > 0 else "−") + text
    return f" ({arrow} {text} vs before{mark})"


def _q(q: Quantiles, before: Quantiles | None = None) -> str:
    if q.n == 0:
        return "no data"
    text = f"p50 {fmt_duration(q.p50)} · p90 {fmt_duration(q.p90)} (n={q.n})"
    if before is not None:
        text += _change(q.p90, before.p90, points=False, lower_is_better=True)
    return text


def headline_lines(f: Figures, prev: Figures | None = None) -> list[str]:
    def ch(now: Ratio, before: Ratio | None, lower: bool) -> str:
        if before is None:
            return ""
        return _change(now.value, before.value, points=True, lower_is_better=lower)

    p = prev
    csat = "no surveys answered" if f.csat_avg is None else f"{f.csat_avg:.2f} / 5"
    return [
        f"*Escalation rate* {_pct(f.rate)} ({f.rate.num} of {f.rate.den} conversations)"
        + ch(f.rate, p.rate if p else None, True),
        f"*Accuracy* {_pct(f.accuracy)} needed ({f.accuracy.num} of {f.accuracy.den} answered;"
        f" feedback on {f.feedback.num} of {f.feedback.den} resolved)"
        + ch(f.accuracy, p.accuracy if p else None, False),
        f"*Time to escalation* {_q(f.time_to_escalation, p.time_to_escalation if p else None)}",
        f"*Pickup* {_q(f.pickup, p.pickup if p else None)}",
        f"*Pickup in business hours* {_q(f.pickup_business, p.pickup_business if p else None)}",
        f"*SLA attainment* {_pct(f.sla)} ({f.sla.num} of {f.sla.den} within the pickup target)"
        + ch(f.sla, p.sla if p else None, False),
        f"*SLA breaches* pickup {f.breached_pickup.num} ({_pct(f.breached_pickup)} of {f.breached_pickup.den}"
        f" escalations){ch(f.breached_pickup, p.breached_pickup if p else None, True)}"
        f" · next reply {f.breached_next_reply.num} ({_pct(f.breached_next_reply)} of"
        f" {f.breached_next_reply.den} claimed){ch(f.breached_next_reply, p.breached_next_reply if p else None, True)}",
        f"*Handle time* {_q(f.handle, p.handle if p else None)}",
        f"*CSAT* {csat}"
        + (_change(f.csat_avg, p.csat_avg, points=False, lower_is_better=False, score=True) if p else "")
        + f" (response rate {_pct(f.csat_responses)}: {f.csat_responses.num} of {f.csat_responses.den} surveys"
        " answered)",
        f"*Abandoned* {_pct(f.abandoned)} ({f.abandoned.num} of {f.abandoned.den} never picked up)"
        + ch(f.abandoned, p.abandoned if p else None, True),
    ]


def group_line(g: Group) -> str:
    f = g.figures
    prec = "" if g.precision.den == 0 else f" · precision {_pct(g.precision)} (n={g.precision.den})"
    pickup = "" if f.pickup.n == 0 else f" · pickup p90 {fmt_duration(f.pickup.p90)}"
    return f"• *{escape(g.key)}*: {f.escalations} escalation{'s' if f.escalations != 1 else ''}{pickup}{prec} · SLA {_pct(f.sla)}"


def report_blocks(
    *,
    title: str,
    figures: Figures,
    previous: Figures,
    by: str | None,
    groups: tuple[Group, ...],
    triggers: tuple[Group, ...],
    csat: CsatSummary | None = None,
    missed: tuple[tuple[str, int], ...] = (),
) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": cut(title, 145)}},
    ]
    if figures.escalations == 0 and figures.watched == 0:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "Nothing to report: Baton watched no conversations in this period.",
                },
            }
        )
        return blocks
    blocks.append(
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": cut("\n".join(headline_lines(figures, previous)), TEXT_LIMIT)},
        }
    )
    if by and groups:
        lines = [group_line(g) for g in groups[:MAX_GROUP_LINES]]
        if len(groups) > MAX_GROUP_LINES:
            lines.append(f"_…and {len(groups) - MAX_GROUP_LINES} more_")
        blocks.append({"type": "divider"})
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": cut(f"*By {escape(by)}*\n" + "\n".join(lines), TEXT_LIMIT),
                },
            }
        )
    if triggers:
        by_volume = [group_line(g) for g in triggers[:5]]
        rated = sorted(
            (g for g in triggers if g.precision.den),
            key=lambda g: (-(g.precision.value or 0), -g.precision.den),
        )
        lines = ["*Top triggers by volume*", *by_volume]
        if rated:
            lines += ["*Top triggers by precision*", *(group_line(g) for g in rated[:5])]
        blocks.append({"type": "divider"})
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": cut("\n".join(lines), TEXT_LIMIT)}}
        )
    feedback = feedback_lines(csat, missed)
    if feedback:
        blocks.append({"type": "divider"})
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": cut("\n".join(feedback), TEXT_LIMIT)}})
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "Changes compare with the period before. Definitions: `/escalations report help`.",
                }
            ],
        }
    )
    return blocks


def feedback_lines(csat: CsatSummary | None, missed: tuple[tuple[str, int], ...]) -> list[str]:
    """CSAT by segment (and whether high-value accounts score above the average), missed escalations."""
    lines: list[str] = []
    if csat is not None and csat.overall.asked:
        lines.append("*CSAT by segment*")
        for s in csat.segments:
            avg = "–" if s.average is None else f"{s.average:.2f}"
            rate = "–" if s.response_rate is None else f"{s.response_rate * 100:.0f}%"
            lines.append(f"• *{escape(s.segment)}*: {avg} / 5 ({s.answered} of {s.asked} answered, {rate})")
        hv = csat.high_value
        if hv.asked:
            avg = "–" if hv.average is None else f"{hv.average:.2f}"
            rate = "–" if hv.response_rate is None else f"{hv.response_rate * 100:.0f}%"
            lines.append(f"• *{HIGH_VALUE}* ({HIGH_VALUE_RULE}): {avg} / 5 ({hv.answered} of {hv.asked} answered, {rate})")
        verdict = csat.high_value_above_average
        if verdict is None:
            lines.append(f"_Too few answers to compare {HIGH_VALUE} accounts with the average._")
        elif verdict:
            lines.append(f":white_check_mark: {HIGH_VALUE.capitalize()} accounts score above the average, as they should.")
        else:
            lines.append(f":warning: {HIGH_VALUE.capitalize()} accounts do *not* score above the average.")
    if missed:
        total = sum(n for _, n in missed)
        per = " · ".join(f"{escape(c)} {n}" for c, n in missed[:10])
        lines.append(f"*Missed escalations* (\"Should have escalated\"): {total} — {per}")
    return lines


def report_text(title: str, figures: Figures) -> str:
    """The notification fallback."""
    return f"{title}: {figures.escalations} escalations, rate {_pct(figures.rate)}, SLA {_pct(figures.sla)}"


MAX_GAP_TOPICS = 10


def _trend(now: int, before: int) -> str:
    if before == 0:
        return "new" if now else "–"
    change = now - before
    if change == 0:
        return "no change"
    arrow = ":small_red_triangle:" if change > 0 else ":small_red_triangle_down:"
    return f"{arrow} {change:+d} ({change / before * 100:+.0f}%)"


@dataclass(frozen=True)
class GapCounts:
    failed: int  # escalations of the period opened because the AI failed
    failed_before: int
    escalations: int  # all escalations of the period


def gaps_blocks(*, title: str, topics: Sequence[Topic], counts: GapCounts) -> list[dict[str, Any]]:
    """The knowledge gaps: one section per topic, largest first."""
    gaps = counts
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": cut(title, 145)}}]
    if not topics:
        text = (
            "No knowledge gaps: no escalation in this period was opened because the AI failed "
            f"(low confidence, repeated questions, \u201cthat didn't help\u201d). {gaps.escalations} escalation"
            f"{'s' if gaps.escalations != 1 else ''} in all."
        )
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
        return blocks
    summary = (
        f"*{gaps.failed}* of {gaps.escalations} escalations were opened because the AI failed"
        f" ({_trend(gaps.failed, gaps.failed_before)} vs the period before). Topics by volume:"
    )
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": summary}})
    for i, t in enumerate(topics[:MAX_GAP_TOPICS], 1):
        examples = "\n".join(f"> {escape(e)}" for e in t.examples)
        why = ", ".join(f"{escape(k)} ×{n}" for k, n in t.triggers[:3])
        text = (
            f"*{i}. {escape(cut(t.label, 150))}*\n{t.count} escalation{'s' if t.count != 1 else ''}"
            f" · {_trend(t.count, t.previous)} vs before · {why}\n{examples}"
        )
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": cut(text, TEXT_LIMIT)}})
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "Grouped by meaning with Baton's judgment model. Export them for the AI's"
                    " training with `baton export resolved --since 30d`.",
                }
            ],
        }
    )
    return blocks


def gaps_text(title: str, topics: Sequence[Topic], counts: GapCounts) -> str:
    """The notification fallback, and the command line's plain text."""
    lines = [f"{title}: {counts.failed} of {counts.escalations} escalations opened because the AI failed"]
    for i, t in enumerate(topics, 1):
        lines.append(f"{i}. {t.label} — {t.count} ({_trend(t.count, t.previous)} vs before)")
    return "\n".join(lines)


def gaps_section(*, topics: Sequence[Topic], counts: GapCounts, limit: int = 5) -> dict[str, Any]:
    """The knowledge gaps as one section block, to embed in another message (the monthly review)."""
    if not topics:
        text = "*Knowledge gaps*: no escalation was opened because the AI failed."
    else:
        lines = [
            f"*Knowledge gaps*: {counts.failed} of {counts.escalations} escalations opened because the AI failed"
            f" ({_trend(counts.failed, counts.failed_before)} vs before)"
        ]
        for t in topics[:limit]:
            lines.append(f"• {escape(cut(t.label, 150))} — {t.count} ({_trend(t.count, t.previous)})")
        text = "\n".join(lines)
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, TEXT_LIMIT)}}
