"""`baton explain TEXT` / `baton explain --file CONVERSATION.jsonl`: what the model and the rules see.

For policy authors: message by message, the text the rules and the model read (quoted speech,
forwarded text and code blocks removed), the language, the model's label probabilities and the
phrase rules that matched; then the decision (escalate, urgency, category, every trigger with its
evidence), exactly as `baton backtest` and the live bot would decide after the last message.

`--file` takes JSON Lines: one message per line (`{"role": "customer", "text": "..."}`; `ts`,
`confidence` optional), or conversations in the `baton backtest` format (one per line, each
explained in turn). `--json` prints one object per conversation:

    {"labels": {"human_request": 0.97, ...}, "language": "es", "escalate": true, "urgency": "immediate",
     "category": "general", "triggers": [...], "model_version": "...", "messages": [...]}

`labels` are the highest probability per label over the customer's messages (for a single TEXT,
that message's). Exit status 0, or 1 when the input or the policy cannot be used.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from bot.commands.backtest import BadLine, Conversation, load_engine, parse_conversation
from bot.domain.errors import PolicyError
from bot.domain.model import TIERS, Account, Decision, Message
from bot.domain.nlu import visible_text
from bot.domain.triggers import EngineConfig, MessageAnalysis, analyse, decide
from bot.policy import PolicyFileError

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # a weekday in business hours: no after-hours effects
SHOWN_FLOOR = 0.05  # labels below this are left out of the text output (all are in --json)


def explain(conv: Conversation, config: EngineConfig) -> dict[str, Any]:
    """Analyse every message and decide after the last one, as the live bot does (pure)."""
    history: list[tuple[Message, MessageAnalysis]] = []
    rows: list[dict[str, Any]] = []
    for msg in conv.messages:
        an = analyse(msg, config)
        history.append((msg, an))
        row: dict[str, Any] = {"role": msg.role, "text": msg.text}
        if msg.role == "customer":
            row |= {
                "visible": visible_text(msg.text),
                "language": an.language,
                "labels": dict(sorted(an.scores, key=lambda kv: -kv[1])),
                "evidence": dict(an.evidence),
                "rules": [{"trigger": h.trigger, "quote": h.quote, "matched": h.detail} for h in an.hits],
                "sentiment": an.sentiment,
            }
        elif msg.role == "ai" and an.confidence is not None:
            row["confidence"] = an.confidence
        rows.append(row)
    last_ts = conv.messages[-1].ts if conv.messages else NOW
    decision = decide(history, conv.account, last_ts, config)
    labels: dict[str, float] = {}
    for _, an in history:
        for label, p in an.scores:
            labels[label] = max(labels.get(label, 0.0), p)
    return _decision_json(decision, labels, config) | {"id": conv.id, "messages": rows}


def _decision_json(d: Decision, labels: dict[str, float], config: EngineConfig) -> dict[str, Any]:
    return {
        "labels": dict(sorted(labels.items(), key=lambda kv: -kv[1])),
        "language": d.language,
        "escalate": d.escalate,
        "urgency": d.urgency,
        "category": d.category,
        "triggers": [t.to_dict() for t in d.triggers],
        "notes": list(d.notes),
        "model_version": config.model_version,
        "policy_version": config.policy_fingerprint,
    }


def _conversations(args: argparse.Namespace, account: Account) -> list[Conversation]:
    if args.text is not None:
        text = " ".join(args.text)
        return [Conversation("text", account, [Message(role="customer", text=text, ts=NOW, ref="1")])]
    stream: IO[str] = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")  # noqa: SIM115
    with stream:
        lines = [(n, line) for n, line in enumerate(stream, start=1) if line.strip()]
    if not lines:
        raise BadLine("the file has no messages")
    convs: list[Conversation] = []
    messages: list[Any] = []
    for n, line in lines:
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadLine(f"line {n}: not JSON: {exc.msg} at column {exc.colno}") from None
        if isinstance(raw, dict) and "messages" in raw:  # a conversation in the backtest format
            raw.pop("tags", None)
            raw.setdefault("id", f"line {n}")
            try:
                convs.append(parse_conversation(json.dumps(raw), NOW))
            except BadLine as exc:
                raise BadLine(f"line {n}: {exc}") from None
        else:
            messages.append(raw)
    if messages:
        if convs:
            raise BadLine("mix of messages and conversations: give one or the other")
        start = NOW - timedelta(minutes=len(messages))
        for i, m in enumerate(messages):
            if isinstance(m, dict) and "ts" not in m:
                m["ts"] = (start + timedelta(minutes=i)).isoformat()
        line = json.dumps({"id": args.file, "account": _account_json(account), "messages": messages})
        convs.append(parse_conversation(line, NOW))
    return convs


def _account_json(account: Account) -> dict[str, Any]:
    out: dict[str, Any] = {"id": account.id, "tier": account.tier}
    if account.mrr is not None:
        out["mrr"] = account.mrr
    return out


def _print_text(out: IO[str], result: dict[str, Any]) -> None:
    print(f"== {result['id']}", file=out)
    for i, row in enumerate(result["messages"], start=1):
        head = f"#{i} {row['role']}"
        if row["role"] != "customer":
            conf = f" (confidence {row['confidence']:.2f})" if "confidence" in row else ""
            print(f"{head}{conf}: {_short(row['text'])}", file=out)
            continue
        print(f"{head} [{row['language']}]: {_short(row['text'])}", file=out)
        if row["visible"].strip() != row["text"].strip():
            print(
                f"    visible: {_short(row['visible']) or '(nothing: all quoted, forwarded or code)'}",
                file=out,
            )
        shown = [(k, v) for k, v in row["labels"].items() if v >= SHOWN_FLOOR]
        if shown:
            print("    model:   " + ", ".join(f"{k} {v:.2f}" for k, v in shown), file=out)
        for label, sentence in row["evidence"].items():
            if row["labels"].get(label, 0.0) >= 0.3 and sentence:
                print(f"             {label} ← “{_short(sentence, 100)}”", file=out)
        for hit in row["rules"]:
            print(f"    rule:    {hit['trigger']} “{_short(hit['quote'], 100)}”", file=out)
        if row["sentiment"] is not None:
            print(f"    sentiment {row['sentiment']:+.2f}", file=out)
    if result["escalate"]:
        print(
            f"=> ESCALATE {result['urgency']} · {result['category']} · language {result['language']}",
            file=out,
        )
    else:
        print(f"=> no escalation (category {result['category']}, language {result['language']})", file=out)
    for t in result["triggers"]:
        print(f"   {t['id']} ({t['urgency']}): {t['reason']}", file=out)
        for ev in t["evidence"]:
            bits = [ev["detail"]] if ev["detail"] else []
            if ev["quote"]:
                bits.append(f"“{_short(ev['quote'], 100)}”")
            if bits:
                print("      " + " — ".join(bits), file=out)
    for note in result["notes"]:
        print(f"   note: {note}", file=out)
    model = result["model_version"] or "none (phrase rules only)"
    print(f"   model {model}; policy {result['policy_version']}", file=out)


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "explain",
        help="show what the model and the rules see in a message or conversation, and the decision",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    p.add_argument("text", nargs="*", default=None, help="a customer message (quote it)")
    p.add_argument(
        "--file", metavar="FILE", help="JSON Lines: messages, or backtest conversations ('-': stdin)"
    )
    p.add_argument("--policy", default=None, help="policy YAML (default: the built-in policy)")
    p.add_argument(
        "--tier", choices=TIERS, default="self-serve", help="the account's tier (TEXT and message files)"
    )
    p.add_argument("--mrr", type=float, default=None, help="the account's MRR (TEXT and message files)")
    p.add_argument(
        "--no-model", action="store_true", help="phrase rules only (what Baton does without the model)"
    )
    p.add_argument("--json", action="store_true", help="print JSON (one object per conversation)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    if not args.text:
        args.text = None
    if (args.text is None) == (args.file is None):
        print("error: give a TEXT or --file CONVERSATION.jsonl (one of them)", file=sys.stderr)
        return 1
    try:
        config, _source = load_engine(args.policy, model=not args.no_model)
    except (PolicyError, PolicyFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    account = Account(id="explain", tier=args.tier, mrr=args.mrr)
    try:
        convs = _conversations(args, account)
    except (BadLine, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    results = [explain(c, config) for c in convs]
    if args.json:
        for r in results:
            print(json.dumps(r, ensure_ascii=False))
    else:
        for r in results:
            _print_text(sys.stdout, r)
    return 0
