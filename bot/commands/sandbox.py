"""`baton sandbox say|click|show`: act in a running `baton serve --sandbox` (over its control server).

baton sandbox say "I want to talk to a human"        # Acme's customer writes in their channel
baton sandbox say --customer globex "We will sue"   # another customer
baton sandbox click claim [--by U0ALICE]            # the newest card's Claim (or any card button)
baton sandbox click hand_off --team billing --note "a refund question"
baton sandbox click snooze --until 2h               # note --note "...", take_over, reopen, release
baton sandbox show                                  # what is in the local Slack now
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import httpx

DEFAULT_URL = f"http://127.0.0.1:{os.environ.get('BATON_PORT') or 3000}"


def _call(args: argparse.Namespace, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    url = args.url.rstrip("/") + path
    try:
        response = httpx.request(method, url, json=body, timeout=30.0)
    except httpx.TransportError as exc:
        print(
            f"error: no sandbox at {args.url} ({exc}); start one with `baton serve --sandbox` "
            "(or give its address with --url)",
            file=sys.stderr,
        )
        return None
    data = response.json()
    if not data.get("ok"):
        print(f"error: {data.get('error') or response.text}", file=sys.stderr)
        return None
    return data


def _show(args: argparse.Namespace) -> int:
    data = _call(args, "GET", "/api/messages")
    if data is None:
        return 2
    for m in data["messages"]:
        indent = "    " if m["thread_ts"] and m["thread_ts"] != m["ts"] else ""
        buttons = "  [" + "] [".join(m["buttons"]) + "]" if m["buttons"] else ""
        text = m["text"].replace("\n", "\n" + indent + "  ")
        print(f"{indent}#{m['channel_name']} {m['user_name'] or '?'}: {text}{buttons}")
    return 0


def _say(args: argparse.Namespace) -> int:
    data = _call(args, "POST", "/api/say", {"text": " ".join(args.text), "customer": args.customer})
    if data is None:
        return 2
    print(
        f"sent to {data['channel']} (ts {data['ts']}); Baton answered HTTP {data['status']}. See: baton sandbox show"
    )
    return 0


def _click(args: argparse.Namespace) -> int:
    data = _call(
        args,
        "POST",
        "/api/click",
        {"action": args.action, "by": args.by or "", "note": args.note or "", "team": args.team, "until": args.until},
    )
    if data is None:
        return 2
    told = f" Baton told them: {data['told']}" if data.get("told") else ""
    print(
        f"{data['by']} clicked {args.action} on the card {data['card']} in {data['channel']}.{told}"
        " See: baton sandbox show"
    )
    return 0


# The card's buttons (bot/sandbox_serve.ACTIONS has the same names; a test checks they agree).
CLICKS = ("claim", "release", "resolve", "take_over", "hand_off", "note", "reopen", "snooze")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "sandbox",
        help="act in a running `baton serve --sandbox`: say something as a customer, click a card, show Slack",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--url", default=DEFAULT_URL, help=f"the sandbox's control server (default {DEFAULT_URL})")
    sub = p.add_subparsers(dest="sandbox_command", metavar="ACTION", required=True)
    say = sub.add_parser("say", help="a customer writes in their channel")
    say.add_argument("text", nargs="+", help="what the customer says")
    say.add_argument("--customer", default="acme", help="acme (default) or globex")
    say.set_defaults(func=_say)
    click = sub.add_parser("click", help="click a button on the newest card that has it")
    click.add_argument("action", choices=CLICKS)
    click.add_argument("--by", default="", help="who clicks (a user id; default: the team's agent)")
    click.add_argument("--note", default="", help="the text of the form: resolve, hand_off, note")
    click.add_argument("--team", default="", help="hand_off: the team to hand it to")
    click.add_argument("--until", default="", help="snooze: how long from now (default 1h), e.g. 2h, 1d")
    click.set_defaults(func=_click)
    show = sub.add_parser("show", help="print every message in the local Slack")
    show.set_defaults(func=_show)
    for q in (say, click, show):
        q.add_argument("--url", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return p
