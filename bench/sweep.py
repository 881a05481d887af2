"""The SLA sweep at scale: its cost against what is open and what is due, and the lag from deadline to page.

    python3 bench/sweep.py                         # SQLite (a temporary file)
    python3 bench/sweep.py --database-url postgresql://postgres@127.0.0.1:5432/baton_bench
    python3 bench/sweep.py --json                  # machine-readable
    python3 bench/sweep.py --only cost --sizes 1000,10000 --history 0   # a quick look

The PostgreSQL database is EMPTIED first (DROP SCHEMA public CASCADE): give it a scratch database.

Part A, cost (virtual clock, so "now" is exact): open escalations are inserted directly into the
tables (chain snapshots from bot.domain.chain.freeze, next_step_at spread over the next week), then
`bot.flows.sweep.sweep(deps, now)` is timed
  - with nothing due, at 1,000 / 10,000 / 100,000 open escalations, and again with a history of
    resolved escalations and finished outbox items beside them (what a database looks like after
    months of use);
  - at 10,000 open with k = 10 / 100 / 1,000 of them due (a `remind` step each: chat.postMessage in
    the team channel and the "still on it" note to the customer, through the Slack stand-in). A
    sweep takes at most 200 due steps (repo.due_escalations' limit), so k = 1,000 needs several
    sweeps: all of them are counted.

Part B, lag (real clock, APScheduler interval job exactly as `baton serve` runs it): 10,000 open
escalations that are not due, plus P escalations whose `page` step falls due at moments spread over S
seconds. The team pages through PagerDuty (the loopback stand-in of bot/sandbox/pagerduty.py); for
every trigger the stand-in receives, lag = arrival time - the step's deadline. Target: p99 at most one
sweep interval + 1 s.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ScratchDatabase, machine, machine_line, table  # noqa: E402
from sqlalchemy import bindparam, event, insert, select, text, update  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from bot.clock import Clock, SystemClock, VirtualClock  # noqa: E402
from bot.domain import chain  # noqa: E402
from bot.flows.sweep import sweep  # noqa: E402
from bot.policy import load_policy_text  # noqa: E402
from bot.sandbox.world import AgentSpec, World  # noqa: E402
from storage.models import OPEN, RESOLVED, Conversation, Escalation, OutboxItem  # noqa: E402

# A Monday inside the default business hours (09:00-17:00 UTC).
T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
ACCOUNTS = [
    {"id": f"acct{i:03d}", "name": f"Account {i}", "tier": "enterprise", "channel": f"C0ACCT{i:03d}"}
    for i in range(50)
]
ONCALL = AgentSpec("U0BOB", "bob", teams=("support",))

# Part B's policy: teams open around the clock, paging through PagerDuty. Baton pages ONCE for a surge
# (5 or more open escalations of one team opened within 10 minutes: bot/flows/paging.py), so the due
# escalations are spread over enough teams that each page is its own PagerDuty trigger.
SURGE_SAFE_PER_TEAM = 4


def lag_policy(teams: int) -> str:
    lines = [
        "version: 1",
        "workspace: {ai_bot_users: [U0AIAGENT], managers_channel: C0MANAGERS}",
        "team_defaults: {hours: always}",
        "teams:",
    ]
    for t in range(teams):
        cats = " categories: [general, technical, account, security, billing, cancellation, legal, privacy]," if t == 0 else ""
        lines.append(
            f"  team{t:02d}: {{channel: C0TEAM{t:02d},{cats} oncall: {{provider: pagerduty, escalation_policy_id: PEP{t:02d}}}}}"
        )
    lines.append("routing: {default_team: team00}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- putting rows in


def bulk_escalations(
    engine: Engine,
    count: int,
    *,
    prefix: str,
    snapshot: list[dict[str, Any]],
    plan: Callable[[int], tuple[datetime, int, datetime | None]],
    opened_at: datetime,
    status: str = OPEN,
    team: str | Callable[[int], str] = "support",
    batch: int = 5000,
) -> list[int]:
    """Insert `count` conversations, each with one escalation; returns the escalation ids in order.

    `plan(i)` gives (chain_started_at, steps_done, next_step_at) for the i-th escalation.
    """
    conv_table = Conversation.__table__  # type: ignore[attr-defined]
    esc_table = Escalation.__table__  # type: ignore[attr-defined]
    ids: list[int] = []
    for start in range(0, count, batch):
        rows = range(start, min(count, start + batch))
        convs = [
            {
                "source": "slack",
                "channel": ACCOUNTS[i % len(ACCOUNTS)]["channel"],
                "thread_ts": f"{prefix}{i:07d}",
                "account_id": ACCOUNTS[i % len(ACCOUNTS)]["id"],
                "customer_id": "",
                "customer_team": "",
                "permalink": "",
                "created_at": opened_at,
                "last_message_at": opened_at,
            }
            for i in rows
        ]
        with engine.begin() as conn:
            conn.execute(insert(conv_table), convs)
            found = conn.execute(
                select(conv_table.c.id, conv_table.c.thread_ts).where(
                    conv_table.c.thread_ts.between(f"{prefix}{rows.start:07d}", f"{prefix}{rows.stop - 1:07d}")
                )
            ).all()
            conv_ids = {ts: cid for cid, ts in found}
            escs = []
            for i in rows:
                started, done, next_at = plan(i)
                escs.append(
                    {
                        "conversation_id": conv_ids[f"{prefix}{i:07d}"],
                        "account_id": ACCOUNTS[i % len(ACCOUNTS)]["id"],
                        "tier": "enterprise",
                        "status": status,
                        "urgency": "immediate",
                        "category": "technical",
                        "team": team(i) if callable(team) else team,
                        "triggers": [{"id": "human_request", "reason": "asked for a person"}],
                        "prefer_agent": "",
                        "card_channel": "",
                        "card_ts": "",
                        "card_dirty": False,
                        "card_updated_at": None,
                        "opened_at": opened_at,
                        "claimed_by": "",
                        "claimed_at": None,
                        "resolved_at": opened_at if status == RESOLVED else None,
                        "resolved_by": "U0ALICE" if status == RESOLVED else "",
                        "resolution_note": "",
                        "customer_notified_at": opened_at,
                        "chain": snapshot,
                        "chain_started_at": started,
                        "steps_done": done,
                        "next_step_at": next_at,
                        "sla_note": "",
                    }
                )
            conn.execute(insert(esc_table), escs)
            got = conn.execute(
                select(esc_table.c.id)
                .where(esc_table.c.conversation_id.in_(list(conv_ids.values())))
                .order_by(esc_table.c.conversation_id)
            ).all()
            ids += [r[0] for r in got]
    return ids


def bulk_done_outbox(engine: Engine, esc_ids: Iterable[int], per_escalation: int, at: datetime) -> int:
    """Finished side effects (what months of escalations leave in the outbox)."""
    table_ = OutboxItem.__table__  # type: ignore[attr-defined]
    kinds = ["post_card", "notify_customer", "remind", "update_card", "notify_claimed"]
    rows = [
        {
            "kind": kinds[j % len(kinds)],
            "escalation_id": esc_id,
            "dedup": f"{kinds[j % len(kinds)]}:{esc_id}:history{j}",
            "payload": {},
            "status": "done",
            "attempts": 1,
            "next_attempt_at": at + timedelta(seconds=60),  # the lease a finished item keeps
            "last_error": "",
            "created_at": at,
            "done_at": at,
        }
        for esc_id in esc_ids
        for j in range(per_escalation)
    ]
    with engine.begin() as conn:
        for start in range(0, len(rows), 10_000):
            conn.execute(insert(table_), rows[start : start + 10_000])
    return len(rows)


def analyze(engine: Engine) -> None:
    """Fresh planner statistics, as autovacuum / a routine ANALYZE would leave them."""
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()


# ---------------------------------------------------------------- Part A: the cost of a sweep


def _future_plan(rng_seed: int, base: datetime) -> Callable[[int], tuple[datetime, int, datetime | None]]:
    """Deadlines spread over the next week (never due during the benchmark); remind is step 0 at +5m."""

    def plan(i: int) -> tuple[datetime, int, datetime | None]:
        offset = timedelta(seconds=3600 + ((i * 7919 + rng_seed) % (7 * 86400)))
        due = base + offset
        return due - timedelta(minutes=5), 0, due

    return plan


def _time_sweeps(deps: Any, now: datetime, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        report = sweep(deps, now)
        out.append(time.perf_counter() - t)
        if report.steps or report.effects or report.cards:
            raise RuntimeError(f"expected nothing due, the sweep did {report}")
    return out


class QueryLog:
    """The SELECTs a block of code runs, with their time, to find the ones that grow with the table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.stats: dict[str, list[Any]] = {}  # statement -> [count, seconds, params]

    def _before(self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        conn.info["bench_t"] = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if not statement.lstrip().upper().startswith("SELECT"):
            return
        elapsed = time.perf_counter() - conn.info.pop("bench_t", time.perf_counter())
        entry = self.stats.setdefault(statement, [0, 0.0, params])
        entry[0] += 1
        entry[1] += elapsed

    def __enter__(self) -> QueryLog:
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)

    def top(self, n: int = 6) -> list[dict[str, Any]]:
        """The n statements that took longest in total, with their plan."""
        ranked = sorted(self.stats.items(), key=lambda kv: -kv[1][1])[:n]
        return [
            {"sql": " ".join(sql.split()), "calls": count, "total_ms": round(secs * 1000, 2),
             "plan": self._plan(sql, params)}
            for sql, (count, secs, params) in ranked
        ]  # fmt: skip

    def _plan(self, statement: str, params: Any) -> list[str]:
        sqlite = self.engine.dialect.name == "sqlite"
        raw = self.engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + statement, params)
            rows = cur.fetchall()
        finally:
            raw.close()
        return [str(r[-1]) if sqlite else str(r[0]) for r in rows]


def _make_due(engine: Engine, ids: list[int], due: datetime) -> None:
    esc = Escalation.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(
            update(esc)
            .where(esc.c.id.in_(bindparam("ids", expanding=True)))
            .values(next_step_at=due, chain_started_at=due - timedelta(minutes=5)),
            {"ids": ids},
        )


def part_a(
    url: str, *, sizes: list[int], due_at: int, due_counts: list[int], history: int, repeat: int
) -> dict[str, Any]:
    """Nothing-due sweeps at each size (growing the same database); the k-due sweeps at `due_at` open."""
    clock = VirtualClock(T0)
    result: dict[str, Any] = {"nothing_due": [], "due": [], "queries": {}}
    with World(clock=clock, accounts=ACCOUNTS, agents=[ONCALL], database_url=url) as world:
        deps = world.deps
        engine: Engine = deps.db
        snapshot = chain.freeze(deps.policy.chains, "immediate", "enterprise")
        opened = T0 - timedelta(minutes=1)
        open_ids: list[int] = []
        fresh: list[int] = []  # open escalations whose deadline was never moved
        history_rows = [0]

        def grow(n: int) -> None:
            t = time.perf_counter()
            added = bulk_escalations(
                engine, n - len(open_ids), prefix=f"open{len(open_ids):07d}-", snapshot=snapshot,
                plan=_future_plan(len(open_ids), T0), opened_at=opened,
            )  # fmt: skip
            open_ids.extend(added)
            fresh.extend(added)
            analyze(engine)
            times = _time_sweeps(deps, clock.now(), repeat)
            result["nothing_due"].append(
                {"open": n, "history": 0, "outbox_done": 0, "median_ms": statistics.median(times) * 1000,
                 "max_ms": max(times) * 1000, "sweeps": repeat, "insert_s": time.perf_counter() - t}
            )  # fmt: skip

        def run_due(k: int, log_queries: str = "") -> None:
            chosen = fresh[:k]
            del fresh[:k]
            now = clock.now()
            _make_due(engine, chosen, now - timedelta(seconds=1))
            sweeps: list[tuple[float, int, int]] = []
            while True:
                qlog = QueryLog(engine)
                with qlog if log_queries and not sweeps else contextlib.nullcontext():
                    t = time.perf_counter()
                    report = sweep(deps, now)
                    elapsed = time.perf_counter() - t
                if log_queries and not sweeps:
                    result["queries"][log_queries] = qlog.top()
                if not (report.steps or report.effects or report.cards):
                    break
                sweeps.append((elapsed, report.steps, report.effects))
                if len(sweeps) > 100:
                    raise RuntimeError("the sweep does not converge")
            steps = sum(s[1] for s in sweeps)
            total = sum(s[0] for s in sweeps)
            result["due"].append(
                {"open": len(open_ids), "history": history_rows[0], "due": k, "steps_run": steps, "sweeps": len(sweeps),
                 "total_ms": total * 1000, "per_step_ms": total * 1000 / max(steps, 1),
                 "first_sweep_ms": sweeps[0][0] * 1000 if sweeps else 0.0}
            )  # fmt: skip
            clock.advance(timedelta(seconds=1))

        for n in sorted(s for s in sizes if s <= due_at):
            grow(n)
        if due_counts and len(open_ids) < due_at:
            grow(due_at)
        for i, k in enumerate(due_counts):
            run_due(k, log_queries=f"{k} due, {len(open_ids):,} open" if i == 0 else "")
        for n in sorted(s for s in sizes if s > due_at):
            grow(n)
        if history:
            t = time.perf_counter()
            hist_ids = bulk_escalations(
                engine, history, prefix="hist-", snapshot=snapshot,
                plan=lambda i: (opened - timedelta(days=30), 3, None),
                opened_at=opened - timedelta(days=30), status=RESOLVED,
            )  # fmt: skip
            done = bulk_done_outbox(engine, hist_ids, 3, opened - timedelta(days=30))
            history_rows[0] = history
            analyze(engine)
            insert_s = time.perf_counter() - t
            times = _time_sweeps(deps, clock.now(), repeat)
            result["nothing_due"].append(
                {"open": len(open_ids), "history": history, "outbox_done": done,
                 "median_ms": statistics.median(times) * 1000, "max_ms": max(times) * 1000,
                 "sweeps": repeat, "insert_s": insert_s}
            )  # fmt: skip
        qlog = QueryLog(engine)
        with qlog:
            sweep(deps, clock.now())
        result["queries"][f"nothing due, {len(open_ids):,} open + {history:,} resolved"] = qlog.top()
        if due_counts:
            run_due(due_counts[0], log_queries=f"{due_counts[0]} due, {len(open_ids):,} open + {history:,} resolved")
    return result


# ---------------------------------------------------------------- Part B: lag from deadline to page


class _TimedLog(list[Any]):
    """A pager stand-in's request log that also notes when each entry arrived (wall clock)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: list[float] = []

    def append(self, entry: Any) -> None:
        self.arrived.append(time.time())
        super().append(entry)


class Arrivals:
    """When each trigger reached the pager stand-in: its request log (`log`, appended as a request
    arrives, before it is answered) is swapped for one that keeps arrival times."""

    def __init__(self, standin: Any) -> None:
        self.standin = standin
        self.log = _TimedLog()
        standin.log = self.log

    def snapshot(self) -> list[tuple[float, str]]:
        with self.standin._lock:
            pairs = list(zip(self.log.arrived, list(self.log), strict=True))
        out = []
        for arrived, entry in pairs:
            body = entry.get("body") if isinstance(entry, dict) else None
            if isinstance(body, dict) and body.get("event_action") == "trigger":
                out.append((arrived, str(body.get("dedup_key", ""))))
        return out


class _Counter(logging.Handler):
    """Counts the scheduler's skipped ticks (a sweep still running) and the flows' late-step warnings."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.skipped = 0
        self.late = 0

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "maximum number of running instances" in message:
            self.skipped += 1
        elif " late" in message:
            self.late += 1


def part_b(
    url: str, *, background: int, pages: int, spread: float, interval: float, lead: float, crm: bool = True
) -> dict[str, Any]:
    from bot.scheduler import start_scheduler

    clock: Clock = SystemClock()
    n_teams = max(1, -(-pages // SURGE_SAFE_PER_TEAM))
    policy = load_policy_text(lag_policy(n_teams), "bench lag policy")
    oncall = AgentSpec("U0BOB", "bob", teams=tuple(policy.teams))
    with World(
        clock=clock, accounts=ACCOUNTS, agents=[oncall], policy=policy, database_url=url, crm=crm
    ) as world:
        deps = world.deps
        deps.sweep_seconds = interval  # what the watchdog compares lateness with
        engine: Engine = deps.db
        assert world.pagerduty is not None
        arrivals = Arrivals(world.pagerduty)
        snapshot = chain.freeze(deps.policy.chains, "immediate", "enterprise")
        page_index = next(p.index for p in chain.plan(snapshot, T0) if p.action == "page")
        page_after = chain.plan(snapshot, T0)[page_index].due_at - T0
        now = clock.now()
        bulk_escalations(
            engine, background, prefix="bg-", snapshot=snapshot,
            plan=_future_plan(0, now + timedelta(hours=1)), opened_at=now - timedelta(hours=2),
            team=lambda i: f"team{i % n_teams:02d}",
        )  # fmt: skip
        analyze(engine)
        start = clock.now() + timedelta(seconds=lead)
        deadlines: dict[int, datetime] = {}

        def plan(i: int) -> tuple[datetime, int, datetime | None]:
            due = start + timedelta(seconds=spread * i / max(pages - 1, 1))
            return due - page_after, page_index, due

        # each opened when its chain started (the page is its step at +10 min), in the team i % n_teams
        ids: list[int] = []
        for i in range(pages):
            one = plan(i)
            ids += bulk_escalations(
                engine, 1, prefix=f"due{i:05d}-", snapshot=snapshot, plan=lambda _j, one=one: one,  # type: ignore[misc]
                opened_at=one[0], team=f"team{i % n_teams:02d}",
            )  # fmt: skip
        for i, esc_id in enumerate(ids):
            deadlines[esc_id] = plan(i)[2]  # type: ignore[assignment]
        counter = _Counter()
        quiet = [logging.getLogger(n) for n in ("apscheduler", "bot")]
        for lg in quiet:
            lg.addHandler(counter)
            lg.propagate = False
        scheduler = start_scheduler(deps, interval)
        try:
            give_up = time.time() + lead + spread + max(30.0, 10 * interval)
            while time.time() < give_up:
                if len({k for _, k in arrivals.snapshot()}) >= pages:
                    break
                time.sleep(0.2)
        finally:
            scheduler.shutdown(wait=True)
            for lg in quiet:
                lg.removeHandler(counter)
                lg.propagate = True
        world.settle()
        with engine.connect() as conn:
            overdue = conn.execute(
                text("SELECT count(*) FROM escalation_timeline WHERE kind = 'step_overdue'")
            ).scalar_one()
    got = arrivals.snapshot()
    lags: list[float] = []
    seen: dict[str, int] = {}
    for arrived, key in got:
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1 or not key.startswith("baton-esc-"):
            continue
        esc_id = int(key.rsplit("-", 1)[1])
        if esc_id in deadlines:
            lags.append(arrived - deadlines[esc_id].timestamp())
    from _common import summary_ms

    stats = summary_ms(lags)
    target = interval + 1.0
    return {
        "open_background": background,
        "pages_expected": pages,
        "teams": n_teams,
        "pages_received": len(lags),
        "duplicate_triggers": sum(n - 1 for n in seen.values()),
        "spread_s": spread,
        "interval_s": interval,
        "lag": stats,
        "lag_min_ms": round(min(lags) * 1000, 2) if lags else None,
        "target_ms": target * 1000,
        "target_met": bool(lags) and stats["p99_ms"] <= target * 1000 and len(lags) == pages,
        "watchdog_overdue": int(overdue),
        "ticks_skipped_sweep_still_running": counter.skipped,
        "crm": crm,
        "pages_per_s_offered": round(pages / spread, 2) if spread else None,
    }


# ---------------------------------------------------------------- output


def _short(sql: str, width: int = 150) -> str:
    """SELECT <columns> FROM ... -> SELECT ... FROM ... (the columns say nothing about the cost)."""
    head, sep, tail = sql.partition(" FROM ")
    text_ = (head.split(" ", 1)[0] + " ..." + sep + tail) if sep and len(head) > 40 else sql
    return text_ if len(text_) <= width else text_[: width - 3] + "..."


def render(result: dict[str, Any], top: int = 4) -> str:
    out = [f"Baton sweep benchmark · {result['database']} · {machine_line(result['machine'])}", ""]
    a = result.get("cost")
    if a:
        out.append("A. Cost of one sweep with nothing due (median of repeated sweeps)")
        rows = [
            [r["open"], r.get("history", 0), r.get("outbox_done", 0), r["median_ms"], r["max_ms"]]
            for r in a["nothing_due"]
        ]
        out.append(table(["open escalations", "resolved (history)", "finished outbox items", "median ms", "max ms"], rows))
        out.append("")
        out.append("A. Sweeps with k due (a remind step each: chat.postMessage to the team + the customer note)")
        rows = [
            [r["open"], r["history"], r["due"], r["steps_run"], r["sweeps"], r["first_sweep_ms"], r["total_ms"],
             r["per_step_ms"]]
            for r in a["due"]
        ]  # fmt: skip
        out.append(table(["open", "resolved (history)", "due k", "steps run", "sweeps", "first sweep ms", "total ms", "ms per step"], rows))
        after = a.get("nothing_due_after")
        if after:
            out.append(f"\nNothing due again afterwards: {after['median_ms']:.2f} ms median")
        for label, queries in a.get("queries", {}).items():
            out.append(f"\nSlowest SELECTs of one sweep ({label}):")
            for q in queries[:top]:
                out.append(f"  {q['total_ms']:9.2f} ms in {q['calls']:4d} calls  {_short(q['sql'])}")
                out += [f"{'':14}plan: {line}" for line in q["plan"][:3]]
        out.append("")
    b = result.get("lag")
    if b:
        lag = b["lag"]
        out.append(
            f"B. Lag from deadline to page (PagerDuty stand-in), sweep every {b['interval_s']:g} s, "
            f"{b['pages_expected']} pages due over {b['spread_s']:g} s in {b['teams']} teams, "
            f"{b['open_background']:,} other open escalations, "
            f"CRM stand-in {'on' if b['crm'] else 'off'}"
        )
        out.append(table(
            ["pages received", "duplicates", "p50 ms", "p90 ms", "p99 ms", "max ms", "target (interval + 1 s)", "met"],
            [[f"{b['pages_received']}/{b['pages_expected']}", b["duplicate_triggers"], lag["p50_ms"], lag["p90_ms"],
              lag["p99_ms"], lag["max_ms"], b["target_ms"], "yes" if b["target_met"] else "NO"]],
        ))  # fmt: skip
        out.append(
            f"watchdog: {b['watchdog_overdue']} steps ran more than two intervals late; "
            f"{b['ticks_skipped_sweep_still_running']} scheduler ticks skipped because the previous sweep was still running"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="cost of the SLA sweep and lag from deadline to page")
    ap.add_argument("--database-url", default="", help="PostgreSQL URL of a SCRATCH database (it is emptied)")
    ap.add_argument("--sizes", default="1000,10000,100000", help="open escalations for the nothing-due sweeps")
    ap.add_argument("--due", default="10,100,1000", help="how many of 10,000 open are due")
    ap.add_argument("--history", type=int, default=100_000, help="resolved escalations beside the open ones")
    ap.add_argument("--repeat", type=int, default=20, help="nothing-due sweeps timed per size")
    ap.add_argument("--open", type=int, default=10_000, help="part B: open escalations that are not due")
    ap.add_argument("--pages", type=int, default=200, help="part B: page steps falling due")
    ap.add_argument("--spread", type=float, default=20.0, help="part B: seconds over which they fall due")
    ap.add_argument("--interval", type=float, default=1.0, help="part B: the scheduler's sweep interval (s)")
    ap.add_argument("--only", choices=("cost", "lag"), default=None)
    ap.add_argument("--due-at", type=int, default=10_000, help="open escalations when the k-due sweeps run")
    ap.add_argument("--no-crm", action="store_true", help="part B without the CRM stand-in (account facts from the policy)")
    ap.add_argument("--top", type=int, default=4, help="slowest queries shown per measured sweep")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    due = [int(s) for s in args.due.split(",") if s]
    if sum(due) > args.due_at:
        ap.error("--due adds up to more than the open escalations it can choose from")
    result: dict[str, Any] = {"machine": machine()}
    with ScratchDatabase(args.database_url) as db:
        result["database"] = db.kind
        t = time.perf_counter()
        if args.only in (None, "cost"):
            result["cost"] = part_a(
                db.reset(), sizes=sizes, due_at=args.due_at, due_counts=due, history=args.history,
                repeat=args.repeat,
            )  # fmt: skip
        if args.only in (None, "lag"):
            result["lag"] = part_b(
                db.reset(), background=args.open, pages=args.pages, spread=args.spread,
                interval=args.interval, lead=2.0, crm=not args.no_crm,
            )  # fmt: skip
        result["wall_s"] = round(time.perf_counter() - t, 1)
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        print(render(result, args.top))
        print(f"\n(total {result['wall_s']} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
