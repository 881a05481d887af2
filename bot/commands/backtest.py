"""`baton backtest HISTORY.jsonl [--policy P] [--json]`: replay recorded conversations through a policy.

Audit your support history before going live, and review false positives every month, without Slack.

Input: one conversation per line (JSON Lines; blank lines are skipped):

    {"id": "c1", "account": {"tier": "enterprise", "created_at": "2026-10-01T00:00:00Z", ...},
     "messages": [{"role": "customer", "text": "...", "ts": "2026-11-23T10:00:00Z", "confidence": 0.4}],
     "label": {"escalate": true, "category": "billing"}, "tags": {"family": "billing_dispute", "language": "en"}}

`account`, `ts`, `confidence`, `label` and `tags` are optional (account keys: id, name, tier, mrr,
renewal_date, owner, created_at, at_risk, last_escalated_at, last_handler). `tags` is free-form (an
object of text, number or true/false values) for the people who keep a labelled set: the replay ignores
it, so a set can record a family or a language beside each conversation and still be replayed as it is.

Each conversation is replayed message by message, as Baton would have seen it live: the engine decides
after every message; a conversation counts as escalated when any of those decisions escalates. Its
urgency is the highest reached, its category the one at the first escalation (that is where the card
was routed), its triggers every trigger that fired, in the order they first fired. `now` for a decision
is the message's `ts`; messages without one take the previous message's time, or `--now` (default: the
current time) when the conversation has none.

Bad lines (not JSON, or not a conversation) are reported on stderr with their line number and counted in
the metrics; they do not stop the run. Exit status: 0 when the run completed (even with some bad lines,
unless --strict), 1 when the input or the policy cannot be used, when no line was a valid conversation,
or with --strict when any line was bad.

Memory stays bounded: conversations are read, decided and written one at a time (`--json` streams the
`results` array), and only counters are kept. A progress bar is drawn on stderr when it is a terminal.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import IO, Any

from bot.clock import to_utc
from bot.domain.errors import PolicyError
from bot.domain.model import CATEGORIES, ROLES, TIERS, Account, Message
from bot.domain.triggers import EngineConfig, analyse, decide

MAX_REPORTED_BAD_LINES = 50  # on stderr and in the metrics; the count is always complete
ACCOUNT_KEYS = (
    "id",
    "name",
    "tier",
    "mrr",
    "renewal_date",
    "owner",
    "created_at",
    "at_risk",
    "last_escalated_at",
    "last_handler",
    "extra",
)
CONVERSATION_KEYS = ("id", "account", "messages", "label", "tags")
MESSAGE_KEYS = ("role", "text", "ts", "confidence", "ref", "author")
LABEL_KEYS = ("escalate", "category")


class BadLine(ValueError):
    """A line that is not a usable conversation; the message says what is wrong."""


@dataclass
class Conversation:
    id: str
    account: Account
    messages: list[Message]
    label_escalate: bool | None = None
    label_category: str | None = None
    tags: dict[str, str | int | float | bool] = field(default_factory=dict)


@dataclass
class Outcome:
    id: str
    escalate: bool
    urgency: str | None
    category: str
    triggers: list[str]
    segment: str
    fired_at: int | None = None  # index of the message after which it first escalated

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "escalate": self.escalate,
            "urgency": self.urgency,
            "category": self.category,
            "triggers": self.triggers,
        }


# ---------------------------------------------------------------- parsing one line


def _parse_time(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise BadLine(f"{where}: must be an ISO-8601 time as text, got {type(value).__name__}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise BadLine(f"{where}: {value!r} is not an ISO-8601 time (e.g. 2026-11-23T10:00:00Z)") from None
    return to_utc(parsed)


def _parse_date(value: Any, where: str) -> date:
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    return _parse_time(value, where).date()


def _number(value: Any, where: str, lo: float | None = None, hi: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadLine(f"{where}: must be a number, got {value!r}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise BadLine(f"{where}: {value} is out of range ({lo:g} to {hi:g})")
    return float(value)


def _unknown(obj: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for key in obj:
        if key not in allowed:
            raise BadLine(f"{where}: unknown key {key!r} (allowed: {', '.join(allowed)})")


def _parse_account(raw: Any, conv_id: str) -> Account:
    if raw is None:
        return Account(id=conv_id)
    if not isinstance(raw, dict):
        raise BadLine(f"account: must be an object, got {type(raw).__name__}")
    _unknown(raw, ACCOUNT_KEYS, "account")
    tier = raw.get("tier", "self-serve")
    if tier not in TIERS:
        raise BadLine(f"account.tier: unknown tier {tier!r} (allowed: {', '.join(TIERS)})")
    at_risk = raw.get("at_risk", False)
    if not isinstance(at_risk, bool):
        raise BadLine(f"account.at_risk: must be true or false, got {at_risk!r}")
    extra = raw.get("extra", {})
    if not isinstance(extra, dict):
        raise BadLine("account.extra: must be an object")
    return Account(
        id=str(raw.get("id", conv_id)),
        name=str(raw.get("name", "")),
        tier=tier,
        mrr=None if raw.get("mrr") is None else _number(raw["mrr"], "account.mrr", 0),
        renewal_date=None
        if raw.get("renewal_date") is None
        else _parse_date(raw["renewal_date"], "account.renewal_date"),
        owner=str(raw.get("owner", "")),
        created_at=None
        if raw.get("created_at") is None
        else _parse_time(raw["created_at"], "account.created_at"),
        at_risk=at_risk,
        last_escalated_at=None
        if raw.get("last_escalated_at") is None
        else _parse_time(raw["last_escalated_at"], "account.last_escalated_at"),
        last_handler=str(raw.get("last_handler", "")),
        extra=extra,
    )


def parse_conversation(line: str, default_now: datetime) -> Conversation:
    """One input line -> Conversation, or BadLine saying what is wrong."""
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadLine(f"not JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(raw, dict):
        raise BadLine(f"a conversation must be a JSON object, got {type(raw).__name__}")
    _unknown(raw, CONVERSATION_KEYS, "conversation")
    conv_id = raw.get("id")
    if (
        conv_id is None
        or isinstance(conv_id, bool)
        or not isinstance(conv_id, str | int)
        or str(conv_id) == ""
    ):
        raise BadLine('id: every conversation needs an "id" (text or number)')
    conv_id = str(conv_id)
    msgs_raw = raw.get("messages")
    if not isinstance(msgs_raw, list) or not msgs_raw:
        raise BadLine('messages: must be a non-empty list of {"role", "text"} objects')
    account = _parse_account(raw.get("account"), conv_id)

    parsed: list[tuple[str, str, datetime | None, float | None, str, str]] = []
    for i, m in enumerate(msgs_raw):
        where = f"messages[{i}]"
        if not isinstance(m, dict):
            raise BadLine(f"{where}: must be an object, got {type(m).__name__}")
        _unknown(m, MESSAGE_KEYS, where)
        role = m.get("role")
        if role not in ROLES:
            raise BadLine(f"{where}.role: unknown role {role!r} (allowed: {', '.join(ROLES)})")
        text = m.get("text")
        if not isinstance(text, str):
            raise BadLine(f"{where}.text: must be text, got {type(text).__name__}")
        ts = None if m.get("ts") is None else _parse_time(m["ts"], f"{where}.ts")
        conf = None if m.get("confidence") is None else _number(m["confidence"], f"{where}.confidence", 0, 1)
        parsed.append((role, text, ts, conf, str(m.get("ref", "") or i), str(m.get("author", ""))))

    first_ts = next((p[2] for p in parsed if p[2] is not None), None)
    current = first_ts or default_now
    messages = []
    for role, text, ts, conf, ref, author in parsed:
        if ts is not None:
            current = ts
        messages.append(Message(role=role, text=text, ts=current, ref=ref, author=author, confidence=conf))  # type: ignore[arg-type]

    label = raw.get("label")
    esc: bool | None = None
    cat: str | None = None
    if label is not None:
        if not isinstance(label, dict):
            raise BadLine("label: must be an object")
        _unknown(label, LABEL_KEYS, "label")
        esc = label.get("escalate")
        if esc is not None and not isinstance(esc, bool):
            raise BadLine(f"label.escalate: must be true or false, got {esc!r}")
        cat = label.get("category")
        if cat is not None and cat not in CATEGORIES:
            raise BadLine(f"label.category: unknown category {cat!r} (allowed: {', '.join(CATEGORIES)})")
    tags = raw.get("tags", {})
    if not isinstance(tags, dict) or not all(
        isinstance(v, str | int | float | bool) and v is not None for v in tags.values()
    ):
        raise BadLine("tags: must be an object of text, number or true/false values")
    return Conversation(conv_id, account, messages, esc, cat, {str(k): v for k, v in tags.items()})


# ---------------------------------------------------------------- replay


def replay(conv: Conversation, config: EngineConfig) -> Outcome:
    """Decide after every message, as live; escalated when any decision escalated."""
    history = []
    urgency: str | None = None
    category: str | None = None
    fired_at: int | None = None
    triggers: dict[str, None] = {}
    last = None
    for i, msg in enumerate(conv.messages):
        history.append((msg, analyse(msg, config)))
        last = decide(history, conv.account, msg.ts, config)
        if last.escalate:
            if fired_at is None:
                fired_at, category = i, last.category
            if last.urgency == "immediate" or urgency is None:
                urgency = last.urgency
            for t in last.triggers:
                triggers.setdefault(t.id, None)
    assert last is not None
    segment = config.segment_of(conv.account.tier, conv.account.mrr)
    return Outcome(
        id=conv.id,
        escalate=fired_at is not None,
        urgency=urgency,
        category=category if category is not None else last.category,
        triggers=list(triggers),
        segment=segment,
        fired_at=fired_at,
    )


# ---------------------------------------------------------------- metrics


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def _confusion(tp: int, fp: int, fn: int, tn: int) -> dict[str, Any]:
    p = _ratio(tp, tp + fp)
    r = _ratio(tp, tp + fn)
    f1 = round(2 * p * r / (p + r), 4) if p is not None and r is not None and (p + r) else None
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn, "precision": p, "recall": r, "f1": f1}


@dataclass
class Metrics:
    conversations: int = 0
    escalated: int = 0
    trigger_counts: Counter[str] = field(default_factory=Counter)
    by_category: dict[str, list[int]] = field(default_factory=dict)  # [conversations, escalated]
    by_segment: dict[str, list[int]] = field(default_factory=dict)
    labelled: int = 0
    esc_conf: Counter[str] = field(default_factory=Counter)  # tp fp fn tn
    trig_conf: dict[str, Counter[str]] = field(default_factory=dict)
    labelled_positive: int = 0
    labelled_negative: int = 0
    cat_matrix: dict[str, Counter[str]] = field(default_factory=dict)  # label -> predicted -> n
    bad_lines: int = 0
    bad_examples: list[dict[str, Any]] = field(default_factory=list)

    def add(self, conv: Conversation, out: Outcome) -> None:
        self.conversations += 1
        self.escalated += out.escalate
        for t in out.triggers:
            self.trigger_counts[t] += 1
        for table, key in ((self.by_category, out.category), (self.by_segment, out.segment)):
            row = table.setdefault(key, [0, 0])
            row[0] += 1
            row[1] += out.escalate
        if conv.label_escalate is not None:
            self.labelled += 1
            truth = conv.label_escalate
            self.labelled_positive += truth
            self.labelled_negative += not truth
            self.esc_conf[("t" if truth == out.escalate else "f") + ("p" if out.escalate else "n")] += 1
            for t in out.triggers:
                c = self.trig_conf.setdefault(t, Counter())
                c["tp" if truth else "fp"] += 1
        if conv.label_category is not None:
            self.cat_matrix.setdefault(conv.label_category, Counter())[out.category] += 1

    def to_dict(self) -> dict[str, Any]:
        n = self.conversations
        out: dict[str, Any] = {
            "escalation_rate": _ratio(self.escalated, n),
            "by_trigger": {
                t: {"conversations": k, "rate": _ratio(k, n)}
                for t, k in sorted(self.trigger_counts.items(), key=lambda x: (-x[1], x[0]))
            },
            "by_category": {
                c: {"conversations": v[0], "escalated": v[1], "rate": _ratio(v[1], v[0])}
                for c, v in sorted(self.by_category.items())
            },
            "by_segment": {
                s: {"conversations": v[0], "escalated": v[1], "rate": _ratio(v[1], v[0])}
                for s, v in sorted(self.by_segment.items())
            },
            "bad_lines": self.bad_lines,
            "bad_line_examples": self.bad_examples,
        }
        if self.labelled:
            c = self.esc_conf
            out["labels"] = {
                "labelled": self.labelled,
                "escalation": _confusion(c["tp"], c["fp"], c["fn"], c["tn"]),
                # Per trigger: did it fire on conversations that should escalate? A trigger's recall is the
                # share of the labelled escalations it caught; fn/tn count the labelled ones it did not fire on.
                "by_trigger": {
                    t: _confusion(
                        cc["tp"],
                        cc["fp"],
                        self.labelled_positive - cc["tp"],
                        self.labelled_negative - cc["fp"],
                    )
                    for t, cc in sorted(self.trig_conf.items())
                },
            }
        if self.cat_matrix:
            total = sum(sum(row.values()) for row in self.cat_matrix.values())
            right = sum(row[c] for c, row in self.cat_matrix.items())
            per: dict[str, Any] = {}
            for cat in CATEGORIES:
                tp = self.cat_matrix.get(cat, Counter())[cat]
                predicted = sum(row[cat] for row in self.cat_matrix.values())
                actual = sum(self.cat_matrix.get(cat, Counter()).values())
                if predicted or actual:
                    per[cat] = {
                        "labelled": actual,
                        "predicted": predicted,
                        "precision": _ratio(tp, predicted),
                        "recall": _ratio(tp, actual),
                    }
            out.setdefault("labels", {})["categories"] = {
                "labelled": total,
                "accuracy": _ratio(right, total),
                "per_category": per,
                "confusion": {
                    label: dict(sorted(row.items())) for label, row in sorted(self.cat_matrix.items())
                },
            }
        return out


# ---------------------------------------------------------------- the command


def load_engine(policy: str | None, *, model: bool = True) -> tuple[EngineConfig, str]:
    """The policy's engine config (with the packaged judgment model unless `model` is false) and a
    name for it (the policy loader reports file:line errors)."""
    from bot.policy import load_policy

    loaded = load_policy(policy)
    if model:
        loaded = loaded.with_model()
    return loaded.engine, loaded.source


def _lines(stream: IO[str]) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(stream, start=1):
        if line.strip():
            yield number, line


class _Progress:
    def __init__(self, stream: IO[str], total_bytes: int | None) -> None:
        self.enabled = stream.isatty()
        self.stream = stream
        self.total = total_bytes
        self.done_bytes = 0

    def tick(self, n: int, nbytes: int) -> None:
        self.done_bytes += nbytes
        if not self.enabled or n % 500:
            return
        if self.total:
            frac = min(1.0, self.done_bytes / self.total)
            bar = "#" * int(frac * 30)
            self.stream.write(f"\r[{bar:<30}] {frac:6.1%}  {n} conversations")
        else:
            self.stream.write(f"\r{n} conversations")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * 60 + "\r")
            self.stream.flush()


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "backtest",
        help="replay recorded conversations (JSON Lines) through a policy and report escalation metrics",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    p.add_argument("history", help="conversations, one JSON object per line ('-' for standard input)")
    p.add_argument("--policy", default=None, help="policy YAML (default: the built-in policy)")
    p.add_argument("--json", action="store_true", help="print the results and metrics as JSON")
    p.add_argument(
        "--now", default=None, help="time for conversations without any `ts` (ISO-8601; default: now)"
    )
    p.add_argument("--strict", action="store_true", help="exit 1 when any line is bad")
    p.add_argument("--no-model", action="store_true", help="phrase rules only (without the judgment model)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    err = sys.stderr
    out = sys.stdout
    try:
        default_now = _parse_time(args.now, "--now") if getattr(args, "now", None) else datetime.now(UTC)
    except BadLine as exc:
        print(f"error: {exc}", file=err)
        return 1
    try:
        config, source = load_engine(
            getattr(args, "policy", None), model=not getattr(args, "no_model", False)
        )
    except PolicyError as exc:
        print(f"error: {exc}", file=err)
        return 1
    except Exception as exc:  # the loader's PolicyFileError names the file and line
        if type(exc).__name__ != "PolicyFileError":
            raise
        print(f"error: {exc}", file=err)
        return 1

    path = args.history
    if path == "-":
        stream: IO[str] = sys.stdin
        total = None
    else:
        try:
            stream = open(path, encoding="utf-8", errors="replace")  # noqa: SIM115 - closed below
            total = os.path.getsize(path)
        except OSError as exc:
            print(f"error: cannot read {path}: {exc.strerror}", file=err)
            return 1

    metrics = Metrics()
    progress = _Progress(err, total)
    as_json = bool(getattr(args, "json", False))
    first = True
    if as_json:
        out.write('{"results": [')
    try:
        for number, line in _lines(stream):
            progress.tick(metrics.conversations + metrics.bad_lines + 1, len(line.encode("utf-8", "replace")))
            try:
                conv = parse_conversation(line, default_now)
            except BadLine as exc:
                metrics.bad_lines += 1
                if len(metrics.bad_examples) < MAX_REPORTED_BAD_LINES:
                    metrics.bad_examples.append({"line": number, "error": str(exc)})
                    progress.close()
                    print(f"{path}:{number}: {exc}", file=err)
                continue
            outcome = replay(conv, config)
            metrics.add(conv, outcome)
            if as_json:
                out.write(("" if first else ",") + "\n  " + json.dumps(outcome.to_dict(), ensure_ascii=False))
                first = False
    finally:
        progress.close()
        if stream is not sys.stdin:
            stream.close()

    if metrics.bad_lines > MAX_REPORTED_BAD_LINES:
        print(f"... {metrics.bad_lines - MAX_REPORTED_BAD_LINES} more bad lines not shown", file=err)
    summary = metrics.to_dict()
    if as_json:
        out.write("\n],\n")
        tail = {
            "conversations": metrics.conversations,
            "escalated": metrics.escalated,
            "policy": source,
            "metrics": summary,
        }
        out.write(json.dumps(tail, indent=1, ensure_ascii=False)[1:].lstrip("\n") + "\n")
    else:
        _print_text(out, path, source, metrics, summary)
    if metrics.conversations == 0:
        print("error: no valid conversation in the input", file=err)
        return 1
    if metrics.bad_lines and getattr(args, "strict", False):
        return 1
    return 0


def _pct(x: float | None) -> str:
    return "  n/a" if x is None else f"{x:6.1%}"


def _print_text(out: IO[str], path: str, source: str, m: Metrics, s: dict[str, Any]) -> None:
    w = out.write
    w(f"Backtest of {path} with {source}\n")
    w(
        f"conversations: {m.conversations}   escalated: {m.escalated} ({_pct(s['escalation_rate']).strip()})   bad lines: {m.bad_lines}\n"
    )
    labels = s.get("labels", {})
    trig_labels = labels.get("by_trigger", {})
    w(
        "\nby trigger                     convs    rate"
        + ("   precision  recall" if trig_labels else "")
        + "\n"
    )
    for t, row in s["by_trigger"].items():
        line = f"  {t:<28}{row['conversations']:>6}  {_pct(row['rate'])}"
        if t in trig_labels:
            c = trig_labels[t]
            line += f"   {_pct(c['precision'])}   {_pct(c['recall'])}"
        w(line + "\n")
    if not s["by_trigger"]:
        w("  (nothing fired)\n")
    for title, key in (("by category", "by_category"), ("by segment", "by_segment")):
        w(f"\n{title:<31}convs  escalated    rate\n")
        for name, row in s[key].items():
            w(f"  {name:<28}{row['conversations']:>6}  {row['escalated']:>9}  {_pct(row['rate'])}\n")
    if "escalation" in labels:
        e = labels["escalation"]
        w(f"\nlabels: {labels['labelled']} conversations labelled escalate true/false\n")
        w(
            f"  escalation precision {_pct(e['precision']).strip()}  recall {_pct(e['recall']).strip()}  f1 {e['f1']}\n"
        )
        w(f"  confusion: tp {e['tp']}  fp {e['fp']}  fn {e['fn']}  tn {e['tn']}\n")
    if "categories" in labels:
        c = labels["categories"]
        w(f"\ncategories: {c['labelled']} labelled, accuracy {_pct(c['accuracy']).strip()}\n")
        cats = [k for k in CATEGORIES if k in c["per_category"]]
        w("  label \\ predicted  " + " ".join(f"{k[:8]:>8}" for k in cats) + "\n")
        for label, row in c["confusion"].items():
            w(f"  {label:<18} " + " ".join(f"{row.get(k, 0):>8}" for k in cats) + "\n")
