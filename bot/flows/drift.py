"""The daily drift check: yesterday's escalation rate, overall and per trigger, against the same weekday
and hour bands of the weeks before (the statistic and thresholds: bot/domain/drift.py, docs/reports.md).

    sweep ──> enqueue_due: from the policy's hour (report time zone), DRIFT_CHECK for yesterday under
              the shared key drift:<YYYY-MM-DD> — one check per day however many instances sweep
    DRIFT_CHECK ──> counts from storage ──> findings ──> an alert with the chart in the managers'
              channel when a series rose or dropped significantly (nothing is posted otherwise)
    /escalations drift [yesterday|YYYY-MM-DD] ──> the same check now, answered to whoever asked
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from bot.chart import escalations_chart
from bot.deps import Deps
from bot.domain import drift
from bot.domain.drift import BandCounts, Finding
from bot.feedback_cards import drift_check_text, drift_text
from bot.flows import outbox
from bot.flows.outbox import EffectKind, Handler, Job
from bot.flows.review import report_tz
from storage import feedback_repo
from storage.db import read_scope

log = logging.getLogger(__name__)


def enqueue_due(deps: Deps, now: datetime) -> bool:
    config = deps.policy.drift
    if not config.enabled or not deps.policy.managers_channel:
        return False
    tz = report_tz(deps.policy)
    local = now.astimezone(tz)
    if local.hour < config.hour:
        return False
    day = (local - timedelta(days=1)).date()
    outbox.enqueue_once(deps, EffectKind.DRIFT_CHECK, f"drift:{day.isoformat()}", now, day=day.isoformat())
    return True


def _counts(deps: Deps, day: date) -> list[BandCounts]:
    tz = report_tz(deps.policy)
    start = drift.day_start(datetime(day.year, day.month, day.day, 12, tzinfo=tz), tz)
    bounds = drift.band_bounds(start, tz, deps.policy.drift.bands)
    lo, hi = bounds[0][0], bounds[-1][1]
    with read_scope(deps.db) as session:
        escalations = feedback_repo.opened_between(session, lo, hi)
        messages = feedback_repo.customer_messages_between(session, lo, hi)
    return drift.bucket(bounds, escalations, messages)


def check_day(deps: Deps, day: date) -> list[Finding]:
    """Every series of `day` against the same weekday of the `weeks` weeks before."""
    weeks = deps.policy.drift.weeks
    today = _counts(deps, day)
    history = [_counts(deps, day - timedelta(weeks=k)) for k in range(1, weeks + 1)]
    return drift.check(today, history, deps.policy.drift)


def _chart(deps: Deps, day: date) -> bytes:
    """Escalations per day over the checked day's weeks, so the step shows."""
    tz = report_tz(deps.policy)
    first = day - timedelta(weeks=deps.policy.drift.weeks)
    start = drift.day_start(datetime(first.year, first.month, first.day, 12, tzinfo=tz), tz)
    end = drift.day_start(datetime(day.year, day.month, day.day, 12, tzinfo=tz), tz) + timedelta(days=1)
    with read_scope(deps.db) as session:
        opened = feedback_repo.opened_between(session, start, end)
    days = (day - first).days + 1
    counts = [0] * days
    for at, _ in opened:
        i = (datetime.fromtimestamp(at, tz).date() - first).days
        if 0 <= i < days:
            counts[i] += 1
    per_day = [((first + timedelta(days=i)).isoformat(), counts[i], None) for i in range(days)]
    return escalations_chart(per_day, title=f"Escalations per day up to {day.isoformat()}")


def _check(deps: Deps, job: Job) -> None:
    day = date.fromisoformat(str(job.payload["day"]))
    found = drift.alerts(check_day(deps, day))
    if not found:
        log.info("drift check for %s: no alert", day)
        return
    text = drift_text(day.isoformat(), found, deps.policy.drift.bands)
    deps.slack.files_upload_v2(
        channel=deps.policy.managers_channel,
        file=_chart(deps, day),
        filename=f"escalations-{day.isoformat()}.png",
        title=f"Escalations per day up to {day.isoformat()}",
        alt_txt="Bar chart of escalations per day over the last weeks",
        initial_comment=text,
    )
    log.warning("drift alert for %s: %s", day, ", ".join(f"{f.series} {f.direction}" for f in found))


USAGE = (
    "Usage: `/escalations drift [yesterday|YYYY-MM-DD]`: a past day's escalation rate (default yesterday, in the"
    " report time zone) against the same weekday of the weeks before"
)


def parse_day(deps: Deps, args: str) -> date:
    """The day a manual check looks at: yesterday by default; never today (it is not over)."""
    today = deps.clock.now().astimezone(report_tz(deps.policy)).date()
    word = args.strip().lower()
    if word in ("", "yesterday"):
        return today - timedelta(days=1)
    try:
        day = date.fromisoformat(word)
    except ValueError:
        raise ValueError(f"`{word}` is not a day: give yesterday or a date like 2026-11-23.") from None
    if day >= today:
        raise ValueError("Only a day that is over can be checked: give yesterday or an earlier date.")
    return day


def check_now(deps: Deps, *, day: date) -> str:
    """`/escalations drift`: the daily check run now for `day`; the answer says what it found (the
    scheduled check's alert in the managers' channel is not posted again)."""
    config = deps.policy.drift
    return drift_check_text(
        day.isoformat(),
        check_day(deps, day),
        bands=config.bands,
        weeks=config.weeks,
        min_baseline=config.min_baseline,
        posted_to=deps.policy.managers_channel if config.enabled else "",
    )


HANDLERS: dict[EffectKind, Handler] = {EffectKind.DRIFT_CHECK: _check}
