"""Event-to-ack and event-to-card latency at a steady event rate, against Baton and a bare Bolt app.

    python3 bench/latency.py                    # 50 events/s for 20 s, SQLite
    python3 bench/latency.py --seconds 10 --rate 50 --accounts 200 --escalating 0.2
    python3 bench/latency.py --database-url postgresql://postgres@127.0.0.1:5432/baton_bench   # EMPTIED first
    python3 bench/latency.py --json

Baton runs as in production, on a real clock: the whole installation of bot.sandbox.world.World (the
real Bolt app behind bot.web.Server, the database, the Slack and CRM stand-ins) on loopback. The
events are Slack `message` events from many Slack Connect customer channels: routine questions and,
a fraction of them, messages that escalate (a request for a human, a legal threat, a double charge).
Each is recorded in the Slack stand-in first, then delivered as Slack would: a signed POST.

The sender is open-loop: event i is sent at t0 + i/rate whatever happened to earlier ones, from a
thread pool in a separate process (so the load generator does not share Baton's interpreter lock).
  ack latency  = the HTTP answer's arrival - the moment the event was due to be sent
  card latency = the card message's ts in the Slack stand-in's team channel - the same moment
The same events then go to a bare Bolt app (same bot.web.Server, same signing, a catch-all `message`
listener that does nothing) for the ratio. Nothing here passes or fails: it prints numbers.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ScratchDatabase, machine, machine_line, summary_ms, table  # noqa: E402

ROUTINE = [
    "where is my order {n}?", "how do I change my shipping address?", "can I get an invoice for order {n}",
    "what payment methods do you accept?", "how do I reset my password", "is there an API rate limit on plan {n}?",
    "how long does delivery take to Lyon?", "can you help me set up two factor authentication",
    "how do I export my dashboard to csv", "thanks, that worked",
]  # fmt: skip
ESCALATING = [
    "I want to talk to a real person about order {n}", "get me a human please, this is urgent",
    "I'm going to contact my lawyer about invoice {n}", "you charged me twice for order {n}, I want a refund now",
    "this is useless, let me speak to a supervisor",
]  # fmt: skip


# ---------------------------------------------------------------- the sender (a separate process)


def send_open_loop(url: str, secret: str, bodies: list[str], rate: float, workers: int) -> dict[str, Any]:
    """POST each body at t0 + i/rate (open loop). Returns per event: due time, answer time, status."""
    import httpx

    from bot.sandbox.driver import sign

    client = httpx.Client(timeout=10.0, limits=httpx.Limits(max_connections=workers, max_keepalive_connections=workers))
    due = [0.0] * len(bodies)
    done = [0.0] * len(bodies)
    started = [0.0] * len(bodies)
    status = [0] * len(bodies)

    def post(i: int) -> None:
        started[i] = time.time()
        body = bodies[i].encode("utf-8")
        headers = {"Content-Type": "application/json"}
        headers.update(sign(secret, int(time.time()), body))
        try:
            status[i] = client.post(url, content=body, headers=headers).status_code
        except httpx.HTTPError:
            status[i] = -1
        done[i] = time.time()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        t0 = time.time() + 0.2
        for i in range(len(bodies)):
            due[i] = t0 + i / rate
            wait = due[i] - time.time()
            if wait > 0:
                time.sleep(wait)
            pool.submit(post, i)
    client.close()
    return {"due": due, "started": started, "done": done, "status": status}


def run_sender(url: str, secret: str, bodies: list[str], rate: float, workers: int) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(send_open_loop, (url, secret, bodies, rate, workers))


def ack_stats(sent: dict[str, Any]) -> dict[str, Any]:
    ok = [d - s for d, s, st in zip(sent["done"], sent["due"], sent["status"], strict=True) if 200 <= st < 300]
    late_start = [s - d for s, d in zip(sent["started"], sent["due"], strict=True)]
    out = summary_ms(ok)
    out["failed"] = sum(1 for st in sent["status"] if not 200 <= st < 300)
    out["sender_late_max_ms"] = round(max(late_start) * 1000, 2) if late_start else 0.0
    return out


# ---------------------------------------------------------------- the two servers


def accounts(n: int) -> list[dict[str, Any]]:
    tiers = ["enterprise", "mid-market", "self-serve"]
    return [
        {"id": f"acct{i:04d}", "name": f"Customer {i}", "tier": tiers[i % 3], "channel": f"C0CUST{i:04d}"}
        for i in range(n)
    ]


def build_events(world: Any, count: int, n_accounts: int, escalating: float) -> list[tuple[str, str, str, bool]]:
    """(body, channel, ts, escalating) for `count` top-level customer messages spread over the accounts."""
    driver = world.driver
    every = max(1, round(1 / escalating)) if escalating > 0 else 0
    out = []
    for i in range(count):
        customer = world.customers[f"acct{i % n_accounts:04d}"]
        esc = bool(every) and i % every == every // 2
        text = (ESCALATING if esc else ROUTINE)[i % (len(ESCALATING) if esc else len(ROUTINE))].format(n=10_000 + i)
        result = driver.user_says(customer.channel, customer.user, text, deliver=False)
        out.append((json.dumps(result.envelope), customer.channel, str(result.ts), esc))
    return out


def baton_run(args: argparse.Namespace, db_url: str) -> dict[str, Any]:
    from sqlalchemy import text

    from bot.clock import SystemClock
    from bot.sandbox.world import SIGNING_SECRET, AgentSpec, World

    count = int(args.rate * args.seconds)
    with World(
        clock=SystemClock(), accounts=accounts(args.accounts),
        agents=[AgentSpec("U0ALICE", "alice", teams=("billing",)), AgentSpec("U0BOB", "bob", teams=("support",))],
        database_url=db_url, crm=not args.no_crm,
    ) as world:  # fmt: skip
        assert world.server is not None
        url = f"{world.server.url}/slack/events"
        events = build_events(world, count + args.warmup, args.accounts, args.escalating)
        warm, events = events[: args.warmup], events[args.warmup :]
        if warm:
            run_sender(url, SIGNING_SECRET, [e[0] for e in warm], 10.0, 8)
            world.settle(60)
        sent = run_sender(url, SIGNING_SECRET, [e[0] for e in events], args.rate, args.workers)
        finished_sending = time.time()
        world.settle(300)
        drained = time.time() - finished_sending
        with world.deps.db.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT c.channel, c.thread_ts, e.card_ts FROM escalations e "
                    "JOIN conversations c ON c.id = e.conversation_id"
                )
            ).all()
    cards = {(ch, ts): card for ch, ts, card in rows}
    card_lat: list[float] = []
    missing = 0
    for i, (_, channel, ts, esc) in enumerate(events):
        if not esc:
            continue
        card = cards.get((channel, ts))
        if not card:
            missing += 1
            continue
        card_lat.append(float(card) - sent["due"][i])
    return {
        "events": len(events),
        "escalating_sent": sum(1 for e in events if e[3]),
        "escalations_opened": len(cards),
        "routine_that_escalated": sum(1 for e in events if not e[3] and (e[1], e[2]) in cards),
        "cards_missing": missing,
        "ack": ack_stats(sent),
        "card": summary_ms(card_lat),
        "drain_after_last_event_s": round(drained, 2),
    }


def bare_run(args: argparse.Namespace) -> dict[str, Any]:
    """The same events against a Bolt app that only acks, behind the same server class and signing."""
    from slack_bolt import App
    from slack_sdk import WebClient
    from sqlalchemy import create_engine

    from bot.clock import SystemClock
    from bot.sandbox.driver import SlackDriver
    from bot.sandbox.slack import FakeSlack
    from bot.sandbox.world import SIGNING_SECRET
    from bot.web import Server, make_wsgi

    count = int(args.rate * args.seconds)
    fake = FakeSlack(clock=SystemClock()).start()
    engine = create_engine("sqlite://")
    try:
        for acct in accounts(args.accounts):
            team = f"T0X{acct['id']}"
            fake.add_team(team, acct["name"])
            fake.add_user(f"U0{acct['id']}", f"{acct['id']}-customer", team)
            fake.add_channel(acct["channel"], f"ext-{acct['id']}", ext_shared=True, shared_team_ids=[fake.team_id, team])
        app = App(client=WebClient(token=fake.bot_token, base_url=fake.base_url), signing_secret=SIGNING_SECRET)

        @app.event("message")
        def on_message() -> None:
            return None

        @app.event("app_mention")
        def on_mention() -> None:
            return None

        server = Server(make_wsgi(app, engine)).start()
        try:
            url = f"{server.url}/slack/events"
            driver = SlackDriver(url, SIGNING_SECRET, fake)

            class _W:  # just what build_events needs
                pass

            w = _W()
            w.driver = driver  # type: ignore[attr-defined]
            w.customers = {  # type: ignore[attr-defined]
                a["id"]: type("C", (), {"channel": a["channel"], "user": f"U0{a['id']}"})()
                for a in accounts(args.accounts)
            }
            events = build_events(w, count + args.warmup, args.accounts, args.escalating)
            warm, events = events[: args.warmup], events[args.warmup :]
            if warm:
                run_sender(url, SIGNING_SECRET, [e[0] for e in warm], 10.0, 8)
            sent = run_sender(url, SIGNING_SECRET, [e[0] for e in events], args.rate, args.workers)
            driver.close()
        finally:
            server.stop()
    finally:
        fake.stop()
        engine.dispose()
    return {"events": len(events), "ack": ack_stats(sent)}


# ---------------------------------------------------------------- output


def render(result: dict[str, Any]) -> str:
    b, bare = result["baton"], result["bare"]
    a1, a0 = b["ack"], bare["ack"]
    out = [
        f"Baton event latency · {result['rate']:g} events/s for {result['seconds']:g} s · {result['accounts']} customer channels · "
        f"{result['database']} · CRM stand-in {'on' if result['crm'] else 'off'}",
        machine_line(result["machine"]),
        "",
        table(
            ["", "events", "failed", "p50 ms", "p90 ms", "p99 ms", "max ms"],
            [
                ["ack, bare Bolt app", bare["events"], a0["failed"], a0["p50_ms"], a0["p90_ms"], a0["p99_ms"], a0["max_ms"]],
                ["ack, Baton", b["events"], a1["failed"], a1["p50_ms"], a1["p90_ms"], a1["p99_ms"], a1["max_ms"]],
                ["event to card, Baton", b["card"]["n"], b["cards_missing"], b["card"]["p50_ms"], b["card"]["p90_ms"],
                 b["card"]["p99_ms"], b["card"]["max_ms"]],
            ],
        ),  # fmt: skip
        "",
        f"ack ratio Baton / bare: p50 {result['ratio_p50']:.2f}x, p99 {result['ratio_p99']:.2f}x",
        f"escalating events sent {b['escalating_sent']}, cards missing {b['cards_missing']}; "
        f"Baton finished its work {b['drain_after_last_event_s']} s after the last event; "
        f"sender started late by at most {a1['sender_late_max_ms']} ms (Baton run), {a0['sender_late_max_ms']} ms (bare run)",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="event-to-ack and event-to-card latency, Baton vs a bare Bolt app")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--rate", type=float, default=50.0, help="events per second (open loop)")
    ap.add_argument("--accounts", type=int, default=200, help="customer channels")
    ap.add_argument("--escalating", type=float, default=0.2, help="fraction of events that escalate")
    ap.add_argument("--workers", type=int, default=64, help="sender threads")
    ap.add_argument("--warmup", type=int, default=20, help="events sent slowly first, not measured")
    ap.add_argument("--database-url", default="", help="PostgreSQL URL of a SCRATCH database (it is emptied)")
    ap.add_argument("--no-crm", action="store_true",
                    help="no CRM stand-in: account facts from the policy (the stand-ins share Baton's process and GIL)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.rate <= 0 or args.seconds <= 0 or args.accounts < 1 or not 0 <= args.escalating <= 1:
        ap.error("--rate and --seconds must be positive, --accounts at least 1, --escalating in 0..1")
    import logging

    logging.getLogger("bot").setLevel(logging.ERROR)
    result: dict[str, Any] = {
        "machine": machine(), "rate": args.rate, "seconds": args.seconds, "accounts": args.accounts,
        "escalating": args.escalating, "crm": not args.no_crm,
    }  # fmt: skip
    with ScratchDatabase(args.database_url) as db:
        result["database"] = db.kind
        result["baton"] = baton_run(args, db.reset())
    result["bare"] = bare_run(args)
    a1, a0 = result["baton"]["ack"], result["bare"]["ack"]
    result["ratio_p50"] = a1["p50_ms"] / a0["p50_ms"] if a0["p50_ms"] else float("nan")
    result["ratio_p99"] = a1["p99_ms"] / a0["p99_ms"] if a0["p99_ms"] else float("nan")
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
