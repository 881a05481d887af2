"""`baton serve --sandbox`: the real app and HTTP endpoint, in real time, against the local stand-ins of
Slack, the CRM and PagerDuty, all on loopback; plus a small control server to act in it. (With
simulate and demo, the only production modules allowed to start the stand-ins.)

The control server (default http://127.0.0.1:3000) is what `baton sandbox say|click|show` talk to,
and it serves a page with a text box and the card's buttons:

    GET  /               the page
    GET  /api/messages   every message in the local Slack, oldest first
    POST /api/say        {"text": "...", "customer": "acme"}      a customer writes in their channel
    POST /api/click      {"action": "claim", "by": "U0CAROL"}      someone clicks the newest card's button
                         (every card button: claim, release, resolve, take_over, hand_off, note,
                         reopen, snooze; forms take "note", "team" (hand_off) and "until" (snooze: 2h))

Nothing leaves the machine; the database is a temporary SQLite file, deleted on exit.
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

from bot.cards import Action
from bot.clock import SystemClock
from bot.domain.chain import parse_duration
from bot.policy import load_policy_text
from bot.sandbox.httpserver import LocalHTTPServer, Request, Response, json_response, text_response
from bot.sandbox.world import AgentSpec, World
from bot.scheduler import start_scheduler

ACCOUNTS = (
    {
        "id": "acme",
        "name": "Acme Corp",
        "tier": "enterprise",
        "channel": "C0ACME",
        "mrr": 12000,
        "owner": "Dana",
    },
    {"id": "globex", "name": "Globex", "tier": "mid-market", "channel": "C0GLOBEX", "mrr": 2400},
)
AGENTS = (
    AgentSpec("U0CAROL", "carol", teams=("support",)),
    AgentSpec("U0ALICE", "alice", teams=("billing",)),
    AgentSpec("U0BOB", "bob", teams=("legal",)),
    AgentSpec("U0DANA", "dana"),
)
@dataclass(frozen=True)
class ClickInput:
    """What the person clicking types into the form the button opens."""

    note: str = ""
    team: str = ""
    until: datetime | None = None


Form = Callable[[ClickInput], dict[str, dict[str, Any]]]


def _resolve_form(i: ClickInput) -> dict[str, dict[str, Any]]:
    return {"resolution": {"note": i.note or "Sorted out."}}


def _handoff_form(i: ClickInput) -> dict[str, dict[str, Any]]:
    return {"team": {"team": i.team}, "handoff_note": {"note": i.note or "Over to you, from the sandbox."}}


def _note_form(i: ClickInput) -> dict[str, dict[str, Any]]:
    return {"internal_note": {"note": i.note or "A note from the sandbox."}}


def _snooze_form(i: ClickInput) -> dict[str, dict[str, Any]]:
    assert i.until is not None
    return {"until": {"until": {"selected_date_time": int(i.until.timestamp())}}}


# Every card button, and the form it opens (None: none). The same buttons as `baton simulate`'s clicks.
ACTIONS: dict[str, tuple[Action, Form | None]] = {
    "claim": (Action.CLAIM, None),
    "release": (Action.RELEASE, None),
    "resolve": (Action.RESOLVE, _resolve_form),
    "take_over": (Action.TAKE_OVER, None),
    "hand_off": (Action.HAND_OFF, _handoff_form),
    "note": (Action.ADD_NOTE, _note_form),
    "reopen": (Action.REOPEN, None),
    "snooze": (Action.SNOOZE, _snooze_form),
}
DEFAULT_SNOOZE = timedelta(hours=1)
SWEEP_SECONDS = 5.0


class SandboxError(Exception):
    """A control request that cannot be done (no card yet, an unknown customer...): a 400 with the reason."""


class Sandbox:
    def __init__(self, *, port: int = 3000, sweep_seconds: float = SWEEP_SECONDS) -> None:
        text = resources.files("bot.policies").joinpath("sandbox.yaml").read_text(encoding="utf-8")
        self.world = World(
            clock=SystemClock(),
            accounts=ACCOUNTS,
            agents=AGENTS,
            policy=load_policy_text(text, "built-in sandbox policy"),
        )
        self.sweep_seconds = sweep_seconds
        self.control = LocalHTTPServer(self._handle, port=port)
        self._scheduler: Any = None
        self._lock = threading.Lock()  # one control action at a time: the story stays readable

    def start(self) -> Sandbox:
        self.world.start()
        self._scheduler = start_scheduler(self.world.deps, self.sweep_seconds)
        self.control.start()
        return self

    def stop(self) -> None:
        self.control.stop()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
        self.world.stop()

    # ------------------------------------------------------------------ acting
    def say(self, text: str, customer: str = "acme") -> dict[str, Any]:
        who = self.world.customers.get(customer)
        if who is None:
            raise SandboxError(f"no customer {customer!r}; the sandbox has {', '.join(self.world.customers)}")
        if not text.strip():
            raise SandboxError("say something: the text is empty")
        assert self.world.driver is not None
        with self._lock:
            result = self.world.driver.user_says(who.channel, who.user, text)
            self.world.settle()
        return {"ok": result.ok, "status": result.status, "channel": who.channel, "ts": result.ts}

    def _newest_card(self, action: Action) -> tuple[str, dict[str, Any]] | None:
        best: tuple[str, dict[str, Any]] | None = None
        for team in self.world.policy.teams.values():
            for msg in self.world.slack.bot_messages(team.channel):
                if action.value in json.dumps(msg.get("blocks") or []) and (
                    best is None or float(msg["ts"]) > float(best[1]["ts"])
                ):
                    best = (team.channel, msg)
        return best

    def click(self, action: str, by: str = "", note: str = "", *, team: str = "", until: str = "") -> dict[str, Any]:
        """`by` clicks `action` on the newest card that shows it, and fills in the form it opens."""
        found_action = ACTIONS.get(action.lower())
        if found_action is None:
            raise SandboxError(f"no button {action!r}; use one of {', '.join(ACTIONS)}")
        wanted, form = found_action
        given = ClickInput(note=note, team=team, until=self._until(until) if wanted is Action.SNOOZE else None)
        if wanted is Action.HAND_OFF and team not in self.world.policy.teams:
            raise SandboxError(f"hand_off needs a team: one of {', '.join(self.world.policy.teams)}")
        found = self._newest_card(wanted)
        if found is None:
            raise SandboxError(f"no card shows a {action} button now (say something that needs a human first)")
        channel, card = found
        card_team = next(t.name for t in self.world.policy.teams.values() if t.channel == channel)
        user = by or self._clicker(card_team, wanted)
        driver = self.world.driver
        assert driver is not None
        with self._lock:
            opened, told = len(self.world.slack.views), len(self.world.slack.ephemerals)
            response = driver.click(user, card["ts"], channel, wanted.value)
            self.world.settle()
            said = [e["text"] for e in self.world.slack.ephemerals[told:] if e.get("user") == user]
            if form is not None:
                views = self.world.slack.views
                if len(views) == opened:  # refused (e.g. only the claimer resolves): say what Baton said
                    raise SandboxError(said[-1] if said else f"{action} did not open a form")
                told = len(self.world.slack.ephemerals)
                submitted = driver.submit_view(user, str(views[-1]["id"]), form(given))
                self.world.settle()
                if submitted.content and "errors" in submitted.json():
                    raise SandboxError("; ".join(submitted.json()["errors"].values()))
                said = [e["text"] for e in self.world.slack.ephemerals[told:] if e.get("user") == user]
        result = {"ok": response.status_code == 200, "card": card["ts"], "channel": channel, "by": user}
        if said:
            result["told"] = said[-1]
        return result

    def _clicker(self, team: str, action: Action) -> str:
        """The team's agent by default; for Take over, someone else (the team's agent is likely the claimer)."""
        own = next((a.id for a in AGENTS if team in a.teams), AGENTS[0].id)
        if action is Action.TAKE_OVER:
            return next(a.id for a in AGENTS if a.id != own)
        return own

    def _until(self, text: str) -> datetime:
        try:
            delay = parse_duration(text) if text else DEFAULT_SNOOZE
        except ValueError as exc:
            raise SandboxError(f"until: {exc} (a duration from now, e.g. 2h or 1d)") from None
        return self.world.clock.now() + delay

    def messages(self) -> list[dict[str, Any]]:
        """Every message (top level and thread replies) in the customer and team channels, oldest first."""
        slack = self.world.slack
        channels = [c.channel for c in self.world.customers.values()]
        channels += [t.channel for t in self.world.policy.teams.values()]
        out = []
        for channel in channels:
            name = slack.channel_info(channel).get("name", channel)
            for msg in slack.messages(channel):
                user = msg.get("user", "")
                out.append(
                    {
                        "channel": channel,
                        "channel_name": name,
                        "ts": msg["ts"],
                        "thread_ts": msg.get("thread_ts", ""),
                        "user": user,
                        "user_name": slack.user(user)["name"] if user else "",
                        "text": msg.get("text", ""),
                        "buttons": _buttons(msg),
                    }
                )
        return sorted(out, key=lambda m: float(m["ts"]))

    # ------------------------------------------------------------------ the control server
    def _handle(self, req: Request) -> Response:
        try:
            if req.method == "GET" and req.path == "/":
                return Response(200, PAGE.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})
            if req.method == "GET" and req.path == "/api/messages":
                return json_response({"ok": True, "messages": self.messages()})
            body = req.json() if req.body else {}
            if not isinstance(body, dict):
                raise SandboxError("send a JSON object")
            if req.method == "POST" and req.path == "/api/say":
                return json_response(
                    self.say(str(body.get("text") or ""), str(body.get("customer") or "acme"))
                )
            if req.method == "POST" and req.path == "/api/click":
                return json_response(
                    self.click(
                        str(body.get("action") or ""),
                        str(body.get("by") or ""),
                        str(body.get("note") or ""),
                        team=str(body.get("team") or ""),
                        until=str(body.get("until") or ""),
                    )
                )
        except SandboxError as exc:
            return json_response({"ok": False, "error": str(exc)}, status=400)
        except ValueError as exc:
            return json_response({"ok": False, "error": f"bad request: {exc}"}, status=400)
        return text_response("not found: GET /, GET /api/messages, POST /api/say, POST /api/click\n", 404)

    def banner(self) -> str:
        w = self.world
        assert w.server is not None and w.crm is not None
        pager = w.pagerduty.url if w.pagerduty is not None else "-"
        return f"""Baton sandbox: the real app and HTTP server against local stand-ins, all on loopback.
  Baton          {w.server.url}/slack/events   (database: {w.database_url})
  local Slack    {w.slack.base_url}   PagerDuty {pager}
  CRM            HubSpot {w.crm.hubspot.url}  Stripe {w.crm.stripe.url}  Linear {w.crm.linear.url}
  customers      {", ".join(f"{c.account} (#ext-{c.account}, {c.channel})" for c in w.customers.values())}
  teams          {", ".join(f"{t.name} ({t.channel})" for t in w.policy.teams.values())}

Open {self.control.url}/ to type as a customer and click the card's buttons, or from another terminal:
  baton sandbox say "I want to talk to a human"     # Acme's customer writes in their channel
  baton sandbox show                                # what is in Slack now (cards, customer notes)
  baton sandbox click claim                         # carol (support) claims the newest card
  baton sandbox say --customer globex "Our lawyer will be in touch"
Reminders and pages follow the policy's SLA chain in real time (sweep every {self.sweep_seconds:g} s).
Ctrl-C to stop."""


def _buttons(msg: dict[str, Any]) -> list[str]:
    text = json.dumps(msg.get("blocks") or [])
    return [name for name, (action, _) in ACTIONS.items() if f'"{action.value}"' in text]


def serve_sandbox(*, port: int | None = None) -> int:
    sandbox = Sandbox(port=port if port is not None else 3000)
    try:
        sandbox.start()
    except OSError as exc:
        sandbox.stop()
        print(
            f"error: cannot listen on 127.0.0.1:{port or 3000} ({exc.strerror or exc}); try --port",
            flush=True,
        )
        return 2
    print(sandbox.banner(), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Baton sandbox</title>
<style>
body{font:15px system-ui,sans-serif;margin:2em;max-width:60em}
.msg{border-left:3px solid #ccc;padding:.3em .8em;margin:.4em 0;white-space:pre-wrap}
.bot{border-color:#1d3557}.chan{color:#666;font-size:85%}.reply{margin-left:2em}
button{margin-right:.5em}#err{color:#b00}
</style></head><body>
<h1>Baton sandbox</h1>
<p>Type as a customer; Baton decides, posts a card in the team channel and tells the customer.
Then click the card's buttons as the team would.</p>
<form id="say"><select id="customer"><option>acme</option><option>globex</option></select>
<input id="text" size="60" placeholder="I want to talk to a human"> <button>Send</button></form>
<p><button data-a="claim">Claim newest card</button><button data-a="release">Release</button>
<button data-a="resolve">Resolve</button> <span id="err"></span></p>
<div id="log"></div>
<script>
async function call(path, body) {
  const r = await fetch(path, {method: "POST", headers: {"Content-Type": "application/json"},
                               body: JSON.stringify(body)});
  const j = await r.json(); document.getElementById("err").textContent = j.ok ? "" : (j.error || "");
  refresh();
}
async function refresh() {
  const j = await (await fetch("/api/messages")).json();
  const log = document.getElementById("log"); log.textContent = "";
  for (const m of j.messages) {
    const d = document.createElement("div");
    d.className = "msg" + (m.user_name === "baton" ? " bot" : "") + (m.thread_ts && m.thread_ts !== m.ts ? " reply" : "");
    d.textContent = m.text + (m.buttons.length ? "  [" + m.buttons.join("] [") + "]" : "");
    const c = document.createElement("div"); c.className = "chan";
    c.textContent = "#" + m.channel_name + " · " + (m.user_name || "?");
    d.prepend(c); log.prepend(d);
  }
}
document.getElementById("say").onsubmit = e => { e.preventDefault();
  const t = document.getElementById("text"); call("/api/say", {text: t.value,
  customer: document.getElementById("customer").value}); t.value = ""; };
for (const b of document.querySelectorAll("button[data-a]")) b.onclick = () => call("/api/click", {action: b.dataset.a});
refresh(); setInterval(refresh, 3000);
</script></body></html>
"""
