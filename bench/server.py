"""The HTTP server under load: Baton and a bare Bolt app, each on gunicorn and on waitress, same harness.

    python3 bench/server.py                         # all four targets, SQLite, ~3 minutes of load in all
    python3 bench/server.py --targets baton-gunicorn,bare-gunicorn --seconds 10
    python3 bench/server.py --only cards --rates 50,200 --database-url postgresql://postgres@127.0.0.1:5432/baton_bench
    python3 bench/server.py --only slow              # Slack answering in 2 s, then the CRM in 5 s, at 50 events/s
    python3 bench/server.py --json

Each target is a separate process tree on loopback: `baton serve --workers N` (gunicorn), Baton's
worker app on waitress (bench/_servers.py), and a bare Bolt app (a catch-all listener that does
nothing, same WSGI routes and signing) on each. The Slack stand-in (and the CRM stand-ins) run in
this process; the sender runs in another (bench/latency.py's open-loop sender: event i leaves at
t0 + i/rate whatever happened to the earlier ones). Nothing passes or fails: it prints numbers.

  steady      ack p50/p99 at --rate (default 200) events/s for --seconds
  max         the highest of --steps rates (5 s each) acked with < 1 % errors and p99 < 3 s
  slowloris   50 connections send headers and half a body, then stall, while 20 events/s arrive
  burst       100 connections opened at once, each posting one event; answered within 3 s?
  huge        a request announcing Content-Length: 10^12: status, and time to it
  cards       event to card p50/p95/p99 at each of --rates, many channels (Baton targets only)
  slow        Claim clicks and /escalations answered while Slack (2 s) or the CRM (5 s) is slow, 50 events/s
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import (  # noqa: E402
    ROOT,
    ScratchDatabase,
    load_average,
    machine,
    machine_line,
    percentile,
    summary_ms,
    table,
)
from latency import ESCALATING, ROUTINE, run_sender  # noqa: E402

SECRET = "bench-signing-secret"
TARGETS = ("baton-gunicorn", "bare-gunicorn", "baton-waitress", "bare-waitress")


# ---------------------------------------------------------------- the world around the server


class Stage:
    """The Slack (and CRM) stand-ins in this process, a policy file, and the events to send."""

    def __init__(self, accounts: int, crm: bool) -> None:
        from bot.clock import SystemClock
        from bot.sandbox.crm import CrmSandbox
        from bot.sandbox.driver import SlackDriver
        from bot.sandbox.slack import FakeSlack

        self.tmp = tempfile.TemporaryDirectory(prefix="baton-bench-server-")
        self.slack = FakeSlack(clock=SystemClock()).start()
        self.accounts = [
            {"id": f"acct{i:04d}", "name": f"Customer {i}", "tier": ("enterprise", "mid-market", "self-serve")[i % 3],
             "channel": f"C0CUST{i:04d}"}
            for i in range(accounts)
        ]  # fmt: skip
        self.slack.add_channel("C0SUPPORT", "support")
        self.slack.add_user("U0ALICE", "alice", email="alice@example.com")
        for a in self.accounts:
            team = f"T0X{a['id']}"
            self.slack.add_team(team, a["name"])
            self.slack.add_user(f"U0{a['id']}", f"{a['id']}-customer", team)
            self.slack.add_channel(a["channel"], f"ext-{a['id']}", ext_shared=True, shared_team_ids=[self.slack.team_id, team])
        self.crm = CrmSandbox().start() if crm else None
        if self.crm is not None:
            from datetime import UTC, datetime

            self.crm.load_accounts(self.accounts, now=datetime.now(UTC))
        lines = ["version: 1", "workspace: {ai_bot_users: [U0AIAGENT]}", "accounts:"]
        lines += [f"  - {{channel: {a['channel']}, account: {a['id']}, name: {a['name']!r}, tier: {a['tier']}}}" for a in self.accounts]
        lines += ["teams:", "  support: {channel: C0SUPPORT}"]
        self.policy = Path(self.tmp.name) / "policy.yaml"
        self.policy.write_text("\n".join(lines) + "\n")
        self.driver = SlackDriver("http://unused/slack/events", SECRET, self.slack)
        self._n = 0

    def events(self, count: int, escalating: float) -> list[tuple[str, str, str, bool]]:
        """(body, channel, ts, escalating) for `count` new top-level customer messages over all channels."""
        every = max(1, round(1 / escalating)) if escalating > 0 else 0
        out = []
        for _ in range(count):
            i = self._n
            self._n += 1
            a = self.accounts[i % len(self.accounts)]
            esc = bool(every) and i % every == every // 2
            pool = ESCALATING if esc else ROUTINE
            text = pool[i % len(pool)].format(n=10_000 + i)
            result = self.driver.user_says(a["channel"], f"U0{a['id']}", text, deliver=False)
            out.append((json.dumps(result.envelope), a["channel"], str(result.ts), esc))
        return out

    def env(self, database_url: str, port: int, workers: int) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATON_", "PROMETHEUS_", "HUBSPOT", "STRIPE", "LINEAR"))}
        env.update({
            "SLACK_BOT_TOKEN": self.slack.bot_token, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": self.slack.base_url,
            "DATABASE_URL": database_url, "BATON_POLICY": str(self.policy), "BATON_HOST": "127.0.0.1",
            "BATON_PORT": str(port), "BATON_WORKERS": str(workers), "BATON_LOG_LEVEL": "ERROR",
            "PYTHONPATH": str(ROOT),
        })  # fmt: skip
        if self.crm is not None:
            env.update(self.crm.env())
        return env

    def close(self) -> None:
        self.driver.close()
        self.slack.stop()
        if self.crm is not None:
            self.crm.stop()
        self.tmp.cleanup()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Target:
    """One server process tree, started and stopped around a measurement."""

    def __init__(self, name: str, stage: Stage, database_url: str, workers: int) -> None:
        self.name = name
        self.port = _free_port()
        app, server = name.split("-")
        env = stage.env(database_url, self.port, workers)
        if app == "baton" and server == "gunicorn":
            cmd = [sys.executable, "-m", "bot.cli", "serve"]
        elif server == "gunicorn":
            cmd = [sys.executable, "-m", "gunicorn", "--config", "python:bot.gunicorn_conf", "--pythonpath", str(HERE), "_servers:bare_app()"]
        else:
            cmd = [sys.executable, str(HERE / "_servers.py"), "waitress", app]
        self.proc = subprocess.Popen(cmd, env=env, cwd=stage.tmp.name, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.base}/slack/events"
        import httpx

        for _ in range(600):
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        self.proc.kill()
        raise RuntimeError(f"{name} did not start: {(self.proc.communicate()[1] or '')[-2000:]}")

    def stop(self) -> float:
        """SIGTERM, then wait; returns the seconds it took to exit."""
        started = time.time()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return time.time() - started


# ---------------------------------------------------------------- measurements


def ack_summary(sent: dict[str, Any]) -> dict[str, Any]:
    ok = [d - s for d, s, st in zip(sent["done"], sent["due"], sent["status"], strict=True) if 200 <= st < 300]
    n = len(sent["status"])
    failed = sum(1 for st in sent["status"] if not 200 <= st < 300)
    out = summary_ms(ok)
    out.update({"sent": n, "failed": failed, "error_pct": round(100.0 * failed / n, 2) if n else 0.0})
    return out


def steady(target: Target, stage: Stage, rate: float, seconds: float) -> dict[str, Any]:
    events = stage.events(int(rate * seconds), 0.2)
    sent = run_sender(target.url, SECRET, [e[0] for e in events], rate, 64)
    return {"rate": rate, "ack": ack_summary(sent), "events": events, "sent": sent}


def max_rate(target: Target, stage: Stage, steps: list[float], seconds: float) -> dict[str, Any]:
    best, tried = 0.0, []
    for rate in steps:
        r = steady(target, stage, rate, seconds)["ack"]
        ok = r["error_pct"] < 1.0 and r["p99_ms"] == r["p99_ms"] and r["p99_ms"] < 3000
        tried.append({"rate": rate, "error_pct": r["error_pct"], "p99_ms": r["p99_ms"], "ok": ok})
        if not ok:
            break
        best = rate
        time.sleep(2)  # let the backlog of work drain a little before the next step
    return {"max_rate": best, "steps": tried}


def _raw_request(body: bytes, content_length: int | None = None) -> tuple[bytes, bytes]:
    from bot.sandbox.driver import sign

    headers = {"Content-Type": "application/json", **sign(SECRET, int(time.time()), body)}
    head = "POST /slack/events HTTP/1.1\r\nHost: baton\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += f"Content-Length: {content_length if content_length is not None else len(body)}\r\n\r\n"
    return head.encode(), body


def slowloris(target: Target, stage: Stage, held: int = 50, seconds: float = 15.0) -> dict[str, Any]:
    """`held` connections send the headers and half the body, then nothing; meanwhile 20 events/s."""
    body = stage.events(1, 0.0)[0][0].encode()
    conns: list[socket.socket] = []
    for _ in range(held):
        s = socket.create_connection(("127.0.0.1", target.port), timeout=5)
        head, b = _raw_request(body)
        s.sendall(head + b[: len(b) // 2])
        conns.append(s)
    closed_at: list[float | None] = [None] * held
    t0 = time.time()

    def watch(i: int, s: socket.socket) -> None:
        s.settimeout(seconds + 5)
        try:
            s.recv(65536)  # an answer (408/400) or b"" (closed): the server let go of it
            closed_at[i] = time.time() - t0
        except OSError:
            pass

    watchers = [threading.Thread(target=watch, args=(i, s), daemon=True) for i, s in enumerate(conns)]
    for w in watchers:
        w.start()
    events = stage.events(int(20 * seconds), 0.2)
    sent = run_sender(target.url, SECRET, [e[0] for e in events], 20.0, 64)
    for w in watchers:
        w.join(timeout=0.1)
    for s in conns:
        s.close()
    released = [c for c in closed_at if c is not None]
    return {
        "held": held,
        "normal": ack_summary(sent),
        "released": len(released),
        "released_after_s": round(percentile(released, 50), 1) if released else None,
    }


def burst(target: Target, stage: Stage, n: int = 100) -> dict[str, Any]:
    """n new connections at once, one signed event each, a 3 s client deadline (Slack's)."""
    import httpx

    from bot.sandbox.driver import sign

    bodies = [e[0] for e in stage.events(n, 0.0)]
    barrier = threading.Barrier(n)
    took: list[float] = [0.0] * n
    status: list[int] = [0] * n

    def one(i: int) -> None:
        body = bodies[i].encode()
        headers = {"Content-Type": "application/json", **sign(SECRET, int(time.time()), body)}
        with httpx.Client(timeout=3.0) as client:  # its own connection
            barrier.wait()
            t = time.time()
            try:
                status[i] = client.post(target.url, content=body, headers=headers).status_code
            except httpx.HTTPError:
                status[i] = -1
            took[i] = time.time() - t

    with ThreadPoolExecutor(n) as pool:
        list(pool.map(one, range(n)))
    ok = [t for t, s in zip(took, status, strict=True) if s == 200]
    return {"connections": n, "answered_200": len(ok), "timeouts_or_errors": sum(1 for s in status if s == -1),
            "other_status": sum(1 for s in status if s not in (200, -1)), **{k: v for k, v in summary_ms(ok).items() if k != "n"}}  # fmt: skip


def huge(target: Target) -> dict[str, Any]:
    """Content-Length: 10^12 with 100 bytes sent: is it refused before the body is read?"""
    head, _ = _raw_request(b"{}", content_length=10**12)
    with socket.create_connection(("127.0.0.1", target.port), timeout=10) as s:
        t = time.time()
        s.sendall(head + b"x" * 100)
        try:
            answer = s.recv(65536)
        except OSError:
            answer = b""
        took = time.time() - t
    first = answer.split(b"\r\n", 1)[0].decode("latin-1") if answer else "no answer in 10 s"
    import httpx

    alive = httpx.get(f"{target.base}/healthz", timeout=5).status_code
    return {"answer": first, "ms": round(took * 1000, 1), "healthz_after": alive}


def card_latency(database_url: str, events: list[tuple[str, str, str, bool]], sent: dict[str, Any], wait: float) -> dict[str, Any]:
    """Event (due time) to card ts in the Slack stand-in, for the escalating events; waits up to `wait` s."""
    from sqlalchemy import text

    from storage.db import make_engine

    want = {(e[1], e[2]) for e in events if e[3]}
    engine = make_engine(database_url)
    deadline = time.time() + wait
    missing_at_end_of_sending = None
    try:
        while True:
            with engine.connect() as conn:
                rows = conn.execute(text(
                    "SELECT c.channel, c.thread_ts, e.card_ts FROM escalations e JOIN conversations c ON c.id = e.conversation_id"
                )).all()  # fmt: skip
            cards = {(ch, ts): card for ch, ts, card in rows if card}
            missing = len(want - set(cards))
            if missing_at_end_of_sending is None:
                missing_at_end_of_sending = missing
            if not missing or time.time() > deadline:
                break
            time.sleep(0.5)
    finally:
        engine.dispose()
    lat = [float(cards[(e[1], e[2])]) - sent["due"][i] for i, e in enumerate(events) if e[3] and (e[1], e[2]) in cards]
    return {
        "escalating": len(want), "missing_when_sending_stopped": missing_at_end_of_sending, "missing_after_wait": missing,
        "p50_ms": round(percentile(lat, 50) * 1000, 1), "p95_ms": round(percentile(lat, 95) * 1000, 1),
        "p99_ms": round(percentile(lat, 99) * 1000, 1), "max_ms": round(max(lat) * 1000, 1) if lat else float("nan"),
    }  # fmt: skip


def slow_neighbour(target: Target, stage: Stage, which: str, seconds: float) -> dict[str, Any]:
    """At 50 events/s with Slack (2 s per call) or the CRM (5 s) slow: time to answer clicks and /escalations."""
    import httpx

    # Cards to click, posted while everything is fast.
    warm = stage.events(40, 0.5)
    run_sender(target.url, SECRET, [e[0] for e in warm], 20.0, 16)
    time.sleep(3)
    cards = [m for m in stage.slack.bot_messages("C0SUPPORT") if m.get("blocks") and "baton_claim" in json.dumps(m["blocks"])]
    if which == "slack":
        stage.slack.set_delay(2.0)
    elif stage.crm is not None:
        for standin in (stage.crm.hubspot, stage.crm.stripe, stage.crm.linear):
            standin.set_delay(5.0)
    interactive: dict[str, list[float]] = {"claim": [], "command": []}
    failures = {"claim": 0, "command": 0}
    stop = threading.Event()

    from bot.sandbox.driver import SlackDriver

    driver = SlackDriver(target.url, SECRET, stage.slack, ack_timeout=10.0)
    claimable = list(cards)
    lock = threading.Lock()

    def clicker(kind: str) -> None:
        while not stop.is_set():
            t = time.time()
            try:
                if kind == "claim":
                    with lock:
                        card = claimable.pop() if claimable else None
                    if card is None:
                        return
                    r = driver.click("U0ALICE", card["ts"], "C0SUPPORT", "baton_claim")
                else:
                    r = driver.slash("U0ALICE", "C0SUPPORT", "/escalations")
                ok = r.status_code == 200
            except httpx.HTTPError:
                ok = False
            took = time.time() - t
            if ok:
                interactive[kind].append(took)
            else:
                failures[kind] += 1
            time.sleep(0.25)

    threads = [threading.Thread(target=clicker, args=(k,), daemon=True) for k in ("claim", "command")]
    for t in threads:
        t.start()
    events = stage.events(int(50 * seconds), 0.2)
    sent = run_sender(target.url, SECRET, [e[0] for e in events], 50.0, 64)
    stop.set()
    for t in threads:
        t.join(timeout=15)
    driver.close()
    stage.slack.set_delay(0)
    if stage.crm is not None:
        for standin in (stage.crm.hubspot, stage.crm.stripe, stage.crm.linear):
            standin.set_delay(0)

    def s(kind: str) -> dict[str, Any]:
        v = interactive[kind]
        return {"n": len(v), "failed": failures[kind], "p50_ms": round(percentile(v, 50) * 1000, 1),
                "p99_ms": round(percentile(v, 99) * 1000, 1), "max_ms": round(max(v) * 1000, 1) if v else float("nan"),
                "over_3s": sum(1 for x in v if x > 3.0)}  # fmt: skip

    return {"slow": which, "events_ack": ack_summary(sent), "claim": s("claim"), "command": s("command")}


# ---------------------------------------------------------------- running it


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="HTTP server benchmarks: Baton and a bare Bolt app on gunicorn and waitress")
    ap.add_argument("--targets", default=",".join(TARGETS))
    ap.add_argument("--only", default="steady,max,slowloris,burst,huge", help="steady,max,slowloris,burst,huge,cards,slow")
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--steps", default="300,500,700,900,1200")
    ap.add_argument("--rates", default="50,200", help="event rates for --only cards")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    ap.add_argument("--accounts", type=int, default=200)
    ap.add_argument("--database-url", default="", help="PostgreSQL URL of a SCRATCH database (emptied for each Baton target)")
    ap.add_argument("--crm", action="store_true", help="account facts from the CRM stand-ins (always on for --only slow)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    only = set(args.only.split(","))
    targets = [t for t in args.targets.split(",") if t]
    if "cards" in only or "slow" in only:
        targets = [t for t in targets if t.startswith("baton")]
    stage = Stage(args.accounts, crm=args.crm or "slow" in only)
    results: dict[str, Any] = {"machine": machine(), "rate": args.rate, "seconds": args.seconds, "workers": args.workers,
                               "accounts": args.accounts, "targets": {}}  # fmt: skip
    try:
        with ScratchDatabase(args.database_url) as db:
            results["database"] = db.kind
            for name in targets:
                url = db.reset() if name.startswith("baton") else "sqlite://"
                target = Target(name, stage, url, args.workers)
                r: dict[str, Any] = {}
                try:
                    stage.events(0, 0)
                    run_sender(target.url, SECRET, [e[0] for e in stage.events(20, 0.2)], 10.0, 8)  # warm up
                    if "steady" in only:
                        s = steady(target, stage, args.rate, args.seconds)
                        r["steady"] = s["ack"]
                    if "max" in only:
                        r["max"] = max_rate(target, stage, [float(x) for x in args.steps.split(",")], 5.0)
                    if "slowloris" in only:
                        r["slowloris"] = slowloris(target, stage)
                    if "burst" in only:
                        r["burst"] = burst(target, stage)
                    if "huge" in only:
                        r["huge"] = huge(target)
                    if "cards" in only:
                        r["cards"] = {}
                        for rate in [float(x) for x in args.rates.split(",")]:
                            s = steady(target, stage, rate, args.seconds)
                            r["cards"][rate] = {"ack": s["ack"], **card_latency(url, s["events"], s["sent"], 30.0)}
                    if "slow" in only:
                        r["slow"] = [slow_neighbour(target, stage, which, args.seconds) for which in ("slack", "crm")]
                finally:
                    r["sigterm_exit_s"] = round(target.stop(), 2)
                results["targets"][name] = r
                print(f"# {name} done", file=sys.stderr, flush=True)
    finally:
        stage.close()
    results["load_at_end"] = load_average()
    print(json.dumps(results, indent=2, default=str) if args.json else render(results))
    return 0


def render(res: dict[str, Any]) -> str:
    t = res["targets"]
    out = [f"HTTP server benchmarks · {res['database']} · gunicorn with {res['workers']} workers x 16 threads; waitress 16 threads",
           machine_line(res["machine"]) + f" (at the end: {res.get('load_at_end', '?')})", ""]  # fmt: skip
    if any("steady" in r for r in t.values()):
        out += [f"Steady {res['rate']:g} events/s for {res['seconds']:g} s (ack = HTTP answer - due time)", table(
            ["target", "sent", "errors %", "p50 ms", "p99 ms", "max ms"],
            [[n, r["steady"]["sent"], r["steady"]["error_pct"], r["steady"]["p50_ms"], r["steady"]["p99_ms"], r["steady"]["max_ms"]]
             for n, r in t.items() if "steady" in r]), ""]  # fmt: skip
    if any("max" in r for r in t.values()):
        rows = []
        for n, r in t.items():
            if "max" not in r:
                continue
            bare = t.get(n.replace("baton", "bare"), {}).get("max", {}).get("max_rate")
            ratio = r["max"]["max_rate"] / bare if n.startswith("baton") and bare else float("nan")
            steps = "; ".join(f"{s['rate']:g}: {s['error_pct']}% / p99 {s['p99_ms']:g} ms" for s in r["max"]["steps"])
            rows.append([n, r["max"]["max_rate"], ratio, steps])
        out += ["Highest rate acked with < 1% errors and p99 < 3 s (5 s steps)", table(["target", "events/s", "ratio to bare", "steps"], rows), ""]
    if any("slowloris" in r for r in t.values()):
        out += ["50 half-sent requests held open while 20 events/s arrive", table(
            ["target", "events ok", "errors %", "p99 ms", "stalled released", "released after s"],
            [[n, r["slowloris"]["normal"]["n"], r["slowloris"]["normal"]["error_pct"], r["slowloris"]["normal"]["p99_ms"],
              r["slowloris"]["released"], r["slowloris"]["released_after_s"]] for n, r in t.items() if "slowloris" in r]), ""]  # fmt: skip
    if any("burst" in r for r in t.values()):
        out += ["100 connections at once, 3 s deadline", table(
            ["target", "200 within 3 s", "timeouts/errors", "other", "p50 ms", "p99 ms"],
            [[n, r["burst"]["answered_200"], r["burst"]["timeouts_or_errors"], r["burst"]["other_status"], r["burst"]["p50_ms"],
              r["burst"]["p99_ms"]] for n, r in t.items() if "burst" in r]), ""]  # fmt: skip
    if any("huge" in r for r in t.values()):
        out += ["Content-Length: 10^12", table(["target", "answer", "ms", "/healthz after"],
                [[n, r["huge"]["answer"], r["huge"]["ms"], r["huge"]["healthz_after"]] for n, r in t.items() if "huge" in r]), ""]
    if any("cards" in r for r in t.values()):
        rows = [[n, f"{rate:g}", c["ack"]["p99_ms"], c["escalating"], c["missing_when_sending_stopped"], c["missing_after_wait"],
                 c["p50_ms"], c["p95_ms"], c["p99_ms"]] for n, r in t.items() for rate, c in r.get("cards", {}).items()]  # fmt: skip
        out += [f"Event to card over {res['seconds']:g} s, {res['accounts']} channels, 20% escalating", table(
            ["target", "events/s", "ack p99 ms", "cards due", "missing at end of sending", "missing after 30 s", "p50 ms", "p95 ms", "p99 ms"], rows), ""]
    if any("slow" in r for r in t.values()):
        rows = []
        for n, r in t.items():
            for s in r.get("slow", []):
                for kind in ("claim", "command"):
                    k = s[kind]
                    rows.append([n, {"slack": "Slack 2 s/call", "crm": "CRM 5 s"}[s["slow"]], kind, k["n"], k["failed"],
                                 k["p50_ms"], k["p99_ms"], k["max_ms"], k["over_3s"], s["events_ack"]["p99_ms"]])  # fmt: skip
        out += ["Slow neighbours at 50 events/s: interactive answers (Slack's limit 3 s)", table(
            ["target", "slow", "request", "n", "failed", "p50 ms", "p99 ms", "max ms", "> 3 s", "event ack p99 ms"], rows), ""]
    out.append("SIGTERM to exit: " + ", ".join(f"{n} {r['sigterm_exit_s']} s" for n, r in t.items()))
    return "\n".join(out)


if __name__ == "__main__":
    raise SystemExit(main())
