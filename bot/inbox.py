"""The durable inbox: every request Slack sends is stored before it is answered, then processed from
the store by leased workers, so nothing acked lives only in memory.

    HTTP ──> bot.intake (verify, parse) ──> Inbox.accept ──> one idempotent insert ──> 200
                                                 │ database down: the local spool (fsync) ──> 200
    lane workers (events | interactive) ──> lease ──> Bolt App.dispatch(stored body) ──> listeners ──> flows

Events are answered as soon as they are stored. Interactions (clicks, modal submissions, slash
commands) are stored the same way and then dispatched through Bolt at once, in the request's thread:
their listeners' `ack` part (validation, the answer Slack shows) runs before the HTTP answer, and
their `lazy` part (the flow) is handed to the interactive lane, which never waits behind event work.
A lazy part that did not finish (a crash, an error) is run again from the stored request once the
item's lease runs out: the flows are idempotent, so running one twice changes nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.kwargs_injection import build_required_kwargs
from slack_bolt.lazy_listener import LazyListenerRunner
from slack_bolt.util.utils import get_arg_names_of_callable
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.clock import Clock
from bot.executor import TrackingExecutor
from bot.inbox_writer import InboxWriter, NotStored
from bot.intake import Kind, Lane, SlackRequest
from bot.spool import Spool
from storage import inbox as store
from storage.db import read_scope, session_scope
from storage.models import InboxItem

log = logging.getLogger(__name__)

INBOX_ID = "x-baton-inbox-id"  # request header carrying the item a dispatch belongs to


@dataclass(frozen=True)
class InboxConfig:
    event_workers: int = 8
    interactive_workers: int = 4
    lease: timedelta = timedelta(seconds=30)  # how long a worker owns an item before others may retry it
    poll_seconds: float = 0.5  # look for other instances' items and expired leases this often
    max_attempts: int = 20  # then the item is marked failed (kept, logged), never retried again


@dataclass
class Answer:
    status: int
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)


LazyJob = tuple[Callable[..., Any], BoltRequest]


class InboxLazyRunner(LazyListenerRunner):
    """Bolt's lazy listeners, run by the inbox: collected during a dispatch, then run by its caller.

    Bolt calls `start` for each lazy function of the matched listener while it dispatches; the
    function is collected under the request's inbox item, and the inbox runs them (the live request:
    on the interactive lane; a replay: in the worker's thread). Errors propagate, so a failure is
    retried from the stored request instead of being logged and forgotten.
    """

    def __init__(self, logger: logging.Logger, fallback: TrackingExecutor) -> None:
        self.logger = logger
        self._fallback = fallback
        self._lock = threading.Lock()
        self._collected: dict[str, list[LazyJob]] = {}

    def start(self, function: Callable[..., Any], request: BoltRequest) -> None:
        item = _header(request, INBOX_ID)
        if item:
            with self._lock:
                self._collected.setdefault(item, []).append((function, request))
        elif not _header(request, "x-baton-spooled"):
            # Not from the inbox (Socket Mode): run it as Bolt would. A spooled request's lazy part
            # runs when the spool is replayed into the inbox.
            self._fallback.submit(self.call, function, request)

    def take(self, item: str) -> list[LazyJob]:
        with self._lock:
            return self._collected.pop(item, [])

    def call(self, function: Callable[..., Any], request: BoltRequest) -> None:
        kwargs = build_required_kwargs(
            logger=self.logger,
            required_arg_names=get_arg_names_of_callable(function),
            request=request,
            response=None,
            this_func=function,
        )
        function(**kwargs)


def _header(request: BoltRequest, name: str) -> str:
    values = request.headers.get(name) or []
    return str(values[0]) if values else ""


class _Lane:
    """A bounded pool of workers for one lane, fed by a thread that leases due items."""

    def __init__(self, inbox: Inbox, lane: Lane, size: int) -> None:
        self.inbox, self.lane, self.size = inbox, lane, size
        self.pool = TrackingExecutor(max_workers=size, thread_name_prefix=f"baton-{lane}")
        self._cond = threading.Condition()
        self._inflight = 0
        self._woken = False
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name=f"baton-inbox-{lane}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        with self._cond:
            self._woken = True
            self._cond.notify_all()

    def reserve(self) -> None:
        with self._cond:
            self._inflight += 1

    def try_reserve(self) -> bool:
        """Reserve a slot if one is free now (a new item then goes straight to a worker)."""
        with self._cond:
            if self._stopped or self._inflight >= self.size:
                return False
            self._inflight += 1
            return True

    def release(self) -> None:
        with self._cond:
            self._inflight -= 1
            self._cond.notify_all()

    @property
    def idle(self) -> bool:
        with self._cond:
            return self._inflight == 0

    def run_reserved(self, fn: Callable[[], None]) -> None:
        """Run `fn` on this lane's pool; a slot was reserved by the caller and is released after it."""

        def job() -> None:
            try:
                fn()
            finally:
                self.release()

        self.pool.submit(job)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._stopped or self._inflight < self.size)
                if self._stopped:
                    return
                free = self.size - self._inflight
                self._inflight += free  # reserved before leasing, so "idle" never misses a leased item
                self._woken = False  # this lease sees every item stored so far; a wake from now on leases again
            try:
                items = self.inbox.lease(self.lane, free)
            except Exception as exc:  # the lane must outlive any failure, or its reserved slots stay taken
                log.warning("inbox %s: cannot lease (%s)", self.lane, _short(exc))
                items = []
            for item in items:
                self.run_reserved(lambda item=item: self.inbox.process(item))  # type: ignore[misc]
            with self._cond:
                self._inflight -= free - len(items)
                self._cond.notify_all()
                if len(items) < free:
                    # Nothing more is due here: wait for a new item (wake), or poll for other instances'
                    # items and expired leases. A worker finishing frees a slot but adds no work, so it
                    # does not cost another lease (on SQLite every lease takes the write lock).
                    self._cond.wait_for(lambda: self._woken or self._stopped, self.inbox.config.poll_seconds)

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self.pool.shutdown(wait=True)


class Stored(StrEnum):
    """What became of an item handed to `Inbox.store` (the ingest API and the helpdesk webhooks)."""

    STORED = "stored"
    DUPLICATE = "duplicate"  # the key is known, with the same body: a retry
    CONFLICT = "conflict"  # the key is known with another body (an Idempotency-Key reused)
    SPOOLED = "spooled"  # the database is down: in the local spool, replayed later
    FAILED = "failed"  # stored nowhere: answer 503


class Inbox:
    """`external` processes the items whose content type is `external_type` (messages from outside
    Slack, bot/flows/external.py) instead of dispatching them through the Bolt app."""

    def __init__(
        self,
        *,
        db: Engine,
        clock: Clock,
        app: App,
        spool: Spool,
        config: InboxConfig | None = None,
        external: Callable[[str], None] | None = None,
        external_type: str = "",
    ) -> None:
        self.db, self.clock, self.app, self.spool = db, clock, app, spool
        self.config = config or InboxConfig()
        self.external, self.external_type = external, external_type
        fallback = TrackingExecutor(
            max_workers=self.config.interactive_workers, thread_name_prefix="baton-lazy"
        )
        self.lazy = InboxLazyRunner(logging.getLogger("baton.bolt"), fallback)
        self._fallback = fallback
        app.listener_runner.lazy_listener_runner = self.lazy
        app.error(_keep_error)
        self.lanes = {
            Lane.EVENTS: _Lane(self, Lane.EVENTS, self.config.event_workers),
            Lane.INTERACTIVE: _Lane(self, Lane.INTERACTIVE, self.config.interactive_workers),
        }
        self.writer = InboxWriter(db=db, clock=clock)
        self._spool_wake = threading.Event()
        self._stopped = threading.Event()
        self._spooler = threading.Thread(target=self._drain_spool, name="baton-spool", daemon=True)

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> Inbox:
        self.writer.start()
        for lane in self.lanes.values():
            lane.start()
        self._spooler.start()
        return self

    def stop(self) -> None:
        """Stop taking items; those in flight finish, the rest stay in the inbox for the next start."""
        self._stopped.set()
        self._spool_wake.set()
        for lane in self.lanes.values():
            lane.stop()
        self._fallback.shutdown(wait=True)
        self.writer.stop()  # the finished items' "done" goes out
        if self._spooler.is_alive():
            self._spooler.join(timeout=10)
        self.spool.close()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until nothing due is pending and no worker is busy (simulation and tests stay deterministic)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            # Nothing due first, then nobody busy: a lane reserves its slots before it leases, so an
            # item that stopped being due by being leased is still counted busy until it is done.
            # (The other order misses an item leased between the two looks.)
            if not self.spool.active:
                with read_scope(self.db) as session:
                    nothing_due = store.due_count(session, self.clock.now()) == 0
                if nothing_due and self._idle() and not self.spool.active:
                    return True
            self._stopped.wait(0.005)
        return False

    def _idle(self) -> bool:
        lanes = all(lane.idle for lane in self.lanes.values())
        return lanes and self._fallback.wait_idle(0) and self.writer.idle

    # ---------------------------------------------------------------- the request path

    def accept(self, request: SlackRequest) -> Answer:
        """Store a verified request, then answer it: nothing is acknowledged that is not stored."""
        if request.kind is Kind.INTERACTION or request.kind is Kind.COMMAND:
            return self._accept_interaction(request)
        lane = self.lanes[request.lane]
        # A worker is free: the item is stored leased to it and handed over at once (no lease
        # transaction, no wait for the lane to look). Otherwise it is stored pending for the lane.
        direct = lane.try_reserve()
        try:
            outcome = self._store(request, leased=direct)
        except BaseException:
            if direct:
                lane.release()
            raise
        if outcome is None:
            if direct:
                lane.release()
            return Answer(503, "cannot store the request right now", {"Retry-After": "1"})
        if not direct:
            lane.wake()
        elif outcome in ("duplicate", "spooled"):
            lane.release()
        else:
            item = _item(self._entry(request), self.clock.now(), self.clock.now(), attempts=1)
            item.id = int(outcome)
            lane.run_reserved(lambda: self.process(item))
        return Answer(200)

    def _accept_interaction(self, request: SlackRequest) -> Answer:
        lane = self.lanes[Lane.INTERACTIVE]
        lane.reserve()  # counted as in flight from before the insert until its lazy part has run
        try:
            outcome = self._store(request, leased=True)
            if outcome is None:
                lane.release()
                return Answer(503, "cannot store the request right now", {"Retry-After": "1"})
            if outcome == "duplicate":
                lane.release()
                return Answer(200)
            headers: dict[str, str | Sequence[str]] = {"content-type": request.content_type}
            item_id = ""
            if outcome == "spooled":
                headers["x-baton-spooled"] = "1"
            else:
                item_id = outcome
                headers[INBOX_ID] = item_id
            response = self.app.dispatch(BoltRequest(body=request.body, headers=headers))
        except BaseException:
            lane.release()
            raise
        jobs = self.lazy.take(item_id) if item_id else []
        if item_id:
            lane.run_reserved(lambda: self._run_lazy(int(item_id), jobs))
        else:
            lane.release()
        return _answer(response)

    def store(self, *, key: str, kind: str, body: str) -> Stored:
        """Store an item from outside Slack (content type `external_type`) for the events lane."""
        request = SlackRequest(Kind.EVENT, body, self.external_type, key=key, lane=Lane.EVENTS, subtype=kind)
        outcome = self._store(request, leased=False)
        if outcome is None:
            return Stored.FAILED
        if outcome == "spooled":
            return Stored.SPOOLED
        if outcome == "duplicate":
            try:
                with session_scope(self.db) as session:
                    known = store.by_key(session, key)
                    same = known is None or known.body == body
            except SQLAlchemyError:
                same = True  # cannot tell: the key says it is the same request
            return Stored.DUPLICATE if same else Stored.CONFLICT
        self.lanes[Lane.EVENTS].wake()
        return Stored.STORED

    def _entry(self, request: SlackRequest) -> dict[str, Any]:
        return {
            "key": request.key,
            "lane": str(request.lane),
            "kind": request.subtype,
            "content_type": request.content_type,
            "body": request.body,
            "received_at": self.clock.now().isoformat(),
        }

    def _store(self, request: SlackRequest, *, leased: bool) -> str | None:
        """The item's id, "duplicate", "spooled", or None when it could be stored nowhere.

        A leased event item is counted as one attempt already (as a lease counts it); an interaction
        keeps 0, its lazy part settling as attempt 1."""
        now = self.clock.now()
        entry = self._entry(request)
        if not self.spool.active:
            attempts = 1 if leased and request.lane == Lane.EVENTS else 0
            try:
                item_id = self.writer.record(
                    _item(entry, now, now + self.config.lease if leased else now, attempts=attempts)
                )
                return "duplicate" if item_id is None else str(item_id)
            except NotStored as exc:
                log.warning("inbox: database unavailable (%s); spooling requests locally", exc)
        try:
            self.spool.append(entry)
        except OSError as exc:
            log.error(
                "inbox: cannot spool %s either (%s): answering 503 so Slack redelivers", request.key, exc
            )
            return None
        self._spool_wake.set()
        return "spooled"

    # ---------------------------------------------------------------- the workers

    def lease(self, lane: Lane, limit: int) -> list[InboxItem]:
        now = self.clock.now()
        with read_scope(self.db) as session:  # most polls find nothing: find out without a write lock
            if not store.has_due(session, str(lane), now):
                return []
        with session_scope(self.db) as session:
            return store.lease(session, str(lane), now, now + self.config.lease, limit)

    def process(self, item: InboxItem) -> None:
        """Dispatch a stored request through the Bolt app; finish it, or retry it later."""
        assert item.id is not None
        if self.external is not None and item.content_type == self.external_type:
            try:
                self.external(item.body)
                error = ""
            except Exception as exc:  # retried, like any item; the messages it recorded are duplicates then
                log.exception("inbox item %s (%s) failed", item.id, item.kind)
                error = f"{type(exc).__name__}: {exc}"
            self._settle(item.id, item.attempts, error)
            return
        headers: dict[str, str | Sequence[str]] = {"content-type": item.content_type, INBOX_ID: str(item.id)}
        if item.lane == Lane.INTERACTIVE:  # its ack was answered long ago: run only the lazy part
            headers["x-slack-bolt-lazy-only"] = "1"
        try:
            bolt_request = BoltRequest(body=item.body, headers=headers)
            response = self.app.dispatch(bolt_request)
            failed = response.status >= 500 or response.status == 401
            error = (
                str(bolt_request.context.get(ERROR) or f"listener answered {response.status}")
                if failed
                else ""
            )
            for function, request in self.lazy.take(str(item.id)):
                self.lazy.call(function, request)
        except Exception as exc:  # the item is retried; the error is kept on it
            failed, error = True, f"{type(exc).__name__}: {exc}"
        self._settle(item.id, item.attempts, error if failed else "")

    def _run_lazy(self, item_id: int, jobs: list[LazyJob]) -> None:
        error = ""
        for function, request in jobs:
            try:
                self.lazy.call(function, request)
            except Exception as exc:  # retried from the stored request
                log.exception("interaction %s: lazy listener failed", item_id)
                error = f"{type(exc).__name__}: {exc}"
        self._settle(item_id, 1, error)

    def _settle(self, item_id: int, attempts: int, error: str) -> None:
        now = self.clock.now()
        try:
            if not error:
                self.writer.finish(item_id)  # with the writer's next transaction
                return
            with session_scope(self.db) as session:
                give_up = attempts >= self.config.max_attempts
                wait = timedelta(seconds=min(300, 2 ** max(0, attempts - 1)))
                store.retry_later(session, item_id, now + wait, error, give_up=give_up)
            if give_up:
                log.error("inbox item %s failed %d times, giving up: %s", item_id, attempts, error)
            else:
                log.warning(
                    "inbox item %s failed (attempt %d), retrying in %s: %s", item_id, attempts, wait, error
                )
        except SQLAlchemyError as exc:  # the lease runs out and another worker takes it again
            log.warning("inbox item %s: cannot record the outcome (%s)", item_id, _short(exc))

    # ---------------------------------------------------------------- the spool

    def _drain_spool(self) -> None:
        while not self._stopped.is_set():
            self._spool_wake.wait(1.0)
            self._spool_wake.clear()
            if not self.spool.active or self._stopped.is_set():
                continue
            try:
                if self.spool.drain(self._insert_spooled):
                    for lane in self.lanes.values():
                        lane.wake()
            except SQLAlchemyError as exc:
                log.info("spool: database still unavailable (%s)", _short(exc))
                self._stopped.wait(0.5)
                self._spool_wake.set()
            except Exception:
                log.exception("spool: replay failed")
                self._stopped.wait(1.0)
                self._spool_wake.set()

    def _insert_spooled(self, entry: dict[str, Any]) -> None:
        now = self.clock.now()
        with session_scope(self.db) as session:
            store.record(session, _item(entry, now, now))


def _item(entry: dict[str, Any], now: datetime, available_at: datetime, *, attempts: int = 0) -> InboxItem:
    received = entry.get("received_at")
    return InboxItem(
        attempts=attempts,
        key=str(entry["key"]),
        lane=str(entry["lane"]),
        kind=str(entry.get("kind", ""))[:64],
        content_type=str(entry["content_type"])[:100],
        body=str(entry["body"]),
        received_at=datetime.fromisoformat(received) if isinstance(received, str) else now,
        available_at=available_at,
    )


ERROR = "baton_error"


def _keep_error(error: Exception, request: BoltRequest) -> None:
    """Bolt's error handler: log it, and keep it on the request so the inbox item records why it failed."""
    log.error("listener failed: %s", error, exc_info=error)
    request.context[ERROR] = f"{type(error).__name__}: {error}"


def _answer(response: BoltResponse) -> Answer:
    headers = {k: v[0] for k, v in response.headers.items() if v and k.lower() != "content-length"}
    return Answer(response.status, response.body or "", headers)


def _short(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
