"""Crash and outage harness: `baton serve` as a real process against the local Slack, bursts of signed
events, kill -9, a TCP proxy that can cut PostgreSQL off, and the accounting of what was acked and
what was recorded, and the outage run itself (`outage_run`). tests/durability/ and bench/durability.py
use it.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from sqlalchemy import text

from bot.sandbox.driver import SlackDriver
from bot.sandbox.pagerduty import PagerDutyStandIn
from bot.sandbox.slack import FakeSlack
from storage.db import make_engine

SECRET = "durability-secret"
SUPPORT = "C0SUPPORT"
ASK = "This is broken and I want to talk to a real person now please"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def customer_channels(n: int) -> list[str]:
    return [f"C0CUST{i:03d}" for i in range(n)]


def policy_yaml(channels: list[str], *, pages: bool = False) -> str:
    """The policy of the scenario; `pages`: the team is paged through PagerDuty one second after an
    escalation opens, each escalation on its own (a surge threshold nobody reaches: a surge would page
    once for all of them), so every escalation makes exactly one page to count."""
    accounts = "\n".join(
        f"  - {{channel: {c}, account: acct{i}, name: Account {i}, tier: enterprise}}"
        for i, c in enumerate(channels)
    )
    team = f"{{channel: {SUPPORT}}}"
    paging = ""
    if pages:
        team = f"{{channel: {SUPPORT}, oncall: {{provider: pagerduty, escalation_policy_id: EPSUPPORT}}}}"
        paging = (
            "chains:\n  immediate: [{after: 1s, action: page}]\n  queued: [{after: 1s, action: page}]\n"
            "surge: {threshold: 1000}\n"
        )
    return (
        "version: 1\nworkspace: {ai_bot_users: [U0AIAGENT]}\n"
        "team_defaults: {timezone: UTC, hours: always}\n"
        f"accounts:\n{accounts}\nteams:\n  support: {team}\nrouting: {{default_team: support}}\n"
        + paging
    )


def pager_env(pager: PagerDutyStandIn) -> dict[str, str]:
    """The environment that points `baton serve` at the PagerDuty stand-in (events only)."""
    return {"PAGERDUTY_ROUTING_KEY": pager.routing_key, "PAGERDUTY_EVENTS_URL": pager.url}


def slack_world(channels: list[str]) -> FakeSlack:
    fake = FakeSlack().start()
    fake.disable_rate_limits()
    fake.add_team("T0EXT", "Customers")
    fake.add_channel(SUPPORT, "support")
    for i, c in enumerate(channels):
        user = f"U0CUST{i:03d}"
        fake.add_user(user, f"customer-{i}", "T0EXT")
        fake.add_channel(c, f"ext-{i}", ext_shared=True, shared_team_ids=[fake.team_id, "T0EXT"])
    return fake


class BatonProcess:
    """`python -m bot.cli serve`, configured by environment variables only, as a user runs it."""

    def __init__(self, workdir: Path, slack: FakeSlack, database_url: str, policy: Path, **env: str) -> None:
        self.workdir, self.port = workdir, free_port()
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATON_", "PAGERDUTY_"))},
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.base_url,
            "DATABASE_URL": database_url,
            "BATON_POLICY": str(policy),
            "BATON_HOST": "127.0.0.1",
            "BATON_PORT": str(self.port),
            "BATON_SWEEP_SECONDS": "1",
            "BATON_INBOX_LEASE_SECONDS": "2",
            "BATON_SPOOL_DIR": str(workdir / "spool"),
            **env,
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = workdir / "baton.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    def start(self, timeout: float = 60.0) -> BatonProcess:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve"],
                env=self.env,
                cwd=self.workdir,
                stdout=out,
                stderr=out,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"baton serve exited {self.proc.returncode}: {self.tail()}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError("baton serve did not come up: " + self.tail())

    def kill(self) -> None:
        """kill -9: no shutdown, no flush, whatever was in memory is gone."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self, n: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""


@dataclass
class Burst:
    """Signed message events, each a new customer thread that escalates, and what Baton answered."""

    envelopes: list[dict[str, Any]]
    status: dict[str, int | None] = field(
        default_factory=dict
    )  # event_id -> last HTTP status (None: no answer)

    @property
    def acked(self) -> list[dict[str, Any]]:
        return [e for e in self.envelopes if self.status.get(e["event_id"]) == 200]

    @property
    def unacked(self) -> list[dict[str, Any]]:
        return [e for e in self.envelopes if self.status.get(e["event_id"]) != 200]


def make_burst(driver: SlackDriver, slack: FakeSlack, channels: list[str], n: int) -> Burst:
    envelopes = []
    for i in range(n):
        channel = channels[i % len(channels)]
        user = f"U0CUST{channels.index(channel):03d}"
        envelopes.append(driver.user_says(channel, user, f"{ASK} (#{i})", deliver=False).envelope)
    return Burst(envelopes)


def send(
    driver: SlackDriver, burst: Burst, envelopes: list[dict[str, Any]], *, rate: float = 0.0, threads: int = 8
) -> None:
    """POST each envelope once (signed, as Slack would, with X-Slack-Retry-Num when it is a redelivery);
    `rate` spaces them out (events per second), 0 sends as fast as `threads` allow."""
    start = time.monotonic()

    def one(index: int, envelope: dict[str, Any]) -> None:
        if rate:
            delay = start + index / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        retry = envelope["event_id"] in burst.status
        extra = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"} if retry else {}
        try:
            response = driver._post(json.dumps(envelope), "application/json", extra)
            burst.status[envelope["event_id"]] = response.status_code
        except httpx.TransportError:
            burst.status[envelope["event_id"]] = None

    with cf.ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda pair: one(*pair), enumerate(envelopes)))


class TcpProxy:
    """A loopback TCP proxy; `cut()` drops every connection and refuses new ones until `restore()`."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self._up = True
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True, name="tcp-proxy").start()

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self._up:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            with self._lock:
                self._conns -= {src, dst}

    def cut(self) -> None:
        self._up = False
        with self._lock:
            conns = list(self._conns)
        for s in conns:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def restore(self) -> None:
        self._up = True

    def close(self) -> None:
        self._stopped = True
        self.cut()
        self.listener.close()


def through_proxy(database_url: str, proxy: TcpProxy) -> str:
    parts = urlsplit(database_url)
    auth = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return urlunsplit(parts._replace(netloc=f"{auth}127.0.0.1:{proxy.port}"))


@dataclass
class Tally:
    acked: int
    recorded: int  # acked events whose message is in the database
    lost: list[str]  # acked event ids not recorded
    escalations: int
    cards: int
    doubled_cards: int  # escalations with more than one card message
    customer_notes: int
    doubled_customer_notes: int  # customer threads where Baton's note was posted more than once
    pending_inbox: int
    cards_pending: int  # post_card items still in the outbox (a killed process's lease has not run out yet)
    pages: int = 0  # incidents the pager opened (one per dedup key while open: a person paged)
    page_triggers: int = 0  # trigger events it accepted (a retry after a crash resends the same key)
    doubled_pages: int = 0  # escalations with more than one incident
    pages_pending: int = 0  # page items still in the outbox


    def line(self) -> str:
        return (
            f"acked {self.acked}, recorded {self.recorded}, lost {len(self.lost)}; escalations {self.escalations}, "
            f"cards {self.cards} (doubled {self.doubled_cards}), customer notes {self.customer_notes} "
            f"(doubled {self.doubled_customer_notes}); inbox pending {self.pending_inbox}, "
            f"cards still in the outbox {self.cards_pending}; pages {self.pages} (doubled {self.doubled_pages}, "
            f"{self.page_triggers} triggers sent, {self.pages_pending} still in the outbox)"
        )


def tally(
    database_url: str,
    slack: FakeSlack,
    burst: Burst,
    channels: list[str],
    pager: PagerDutyStandIn | None = None,
) -> Tally:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            recorded_ts = {(r[0], r[1]) for r in conn.execute(text("SELECT channel, ts FROM messages"))}
            escalations = int(conn.execute(text("SELECT count(*) FROM escalations")).scalar_one())
            pending = int(
                conn.execute(text("SELECT count(*) FROM inbox WHERE status = 'pending'")).scalar_one()
            )
            cards_due = int(
                conn.execute(
                    text("SELECT count(*) FROM outbox WHERE kind = 'post_card' AND status = 'pending'")
                ).scalar_one()
            )
            pages_due = int(
                conn.execute(
                    text(
                        "SELECT count(*) FROM outbox WHERE kind IN ('page', 'page_pager') AND status = 'pending'"
                    )
                ).scalar_one()
            )
    finally:
        engine.dispose()
    acked = burst.acked
    lost = [e["event_id"] for e in acked if (e["event"]["channel"], e["event"]["ts"]) not in recorded_ts]
    cards = Counter(
        _claim_value(m) for m in slack.bot_messages(SUPPORT) if m.get("thread_ts", m["ts"]) == m["ts"]
    )
    cards.pop(None, None)
    # Each message here is a new customer thread with one escalation: Baton's one note in it (the
    # customer is told a human is coming) must be there once.
    notes: Counter[Any] = Counter()
    for c in channels:
        for m in slack.bot_messages(c):  # top level and thread replies
            if m.get("thread_ts") and m["thread_ts"] != m["ts"]:
                notes[(c, m["thread_ts"])] += 1
    incidents = pager.incidents() if pager is not None else []
    per_key = Counter(inc["dedup_key"] for inc in incidents)
    return Tally(
        pages=len(incidents),
        page_triggers=sum(inc["trigger_count"] for inc in incidents),
        doubled_pages=sum(1 for n in per_key.values() if n > 1),
        pages_pending=pages_due,
        acked=len(acked),
        recorded=len(acked) - len(lost),
        lost=lost,
        escalations=escalations,
        cards=sum(cards.values()),
        doubled_cards=sum(1 for n in cards.values() if n > 1),
        customer_notes=sum(notes.values()),
        doubled_customer_notes=sum(1 for n in notes.values() if n > 1),
        pending_inbox=pending,
        cards_pending=cards_due,
    )


def _claim_value(message: dict[str, Any]) -> str | None:
    """The escalation a card belongs to: the value of its Claim button (cards carry it whatever else changes)."""
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if isinstance(element, dict) and element.get("action_id") == "baton_claim":
                return str(element.get("value"))
    return None


def wait_until_settled(
    database_url: str,
    slack: FakeSlack,
    burst: Burst,
    channels: list[str],
    timeout: float,
    pager: PagerDutyStandIn | None = None,
) -> Tally:
    """Poll until every acked event is recorded, every escalation has its card (and its page, with a
    pager) and nothing is pending (or `timeout`: then the tally says what is still on its way)."""
    deadline = time.monotonic() + timeout
    while True:
        t = tally(database_url, slack, burst, channels, pager)
        settled = (
            not t.lost
            and t.pending_inbox == 0
            and t.cards >= t.escalations
            and t.customer_notes >= t.escalations
            and (pager is None or t.pages >= t.escalations)
        )
        if settled or time.monotonic() > deadline:
            return t
        time.sleep(0.5)


@dataclass(frozen=True)
class Outage:
    """What an outage run found (`outage_run`)."""

    tally: Tally
    caught_up: float  # seconds from the database's return until everything had landed (or the timeout)
    spooled: int  # lines of Baton's log saying it spooled requests: the outage reached it
    log_tail: str


def outage_run(
    workdir: Path,
    database_url: str,
    channels: list[str],
    *,
    seconds: float,
    rate: float,
    events: int,
    cut_after: float,
    settle: float,
    threads: int = 8,
) -> Outage:
    """`baton serve` reaching PostgreSQL (`database_url`) through a TCP proxy that is cut `cut_after`
    seconds into a burst of `events` escalating messages sent at `rate` per second, and restored
    `seconds` later; then waits up to `settle` seconds for everything acked to land. Baton's log and
    spool stay in `workdir`."""
    slack = slack_world(channels)
    parts = urlsplit(database_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    policy = workdir / "policy.yaml"
    policy.write_text(policy_yaml(channels))
    baton = BatonProcess(workdir, slack, through_proxy(database_url, proxy), policy).start()
    driver = SlackDriver(baton.url, SECRET, slack)
    burst = make_burst(driver, slack, channels, events)
    try:
        cut = threading.Timer(cut_after, proxy.cut)
        back = threading.Timer(cut_after + seconds, proxy.restore)
        cut.start()
        back.start()
        send(driver, burst, burst.envelopes, rate=rate, threads=threads)
        cut.join()
        back.join()
        restored = time.monotonic()
        spooled = baton.log.read_text(errors="replace").count("spooling requests locally")
        result = wait_until_settled(database_url, slack, burst, channels, timeout=settle)
        caught_up = time.monotonic() - restored
    finally:
        driver.close()
        baton.stop()
        proxy.close()
        slack.stop()
    return Outage(result, caught_up, spooled, baton.tail())
