"""Build bench/judgment/dev.jsonl and test.jsonl from the hand-written sources in bench/judgment/src/.

    python3 bench/judgment/build.py            # rewrite both files
    python3 bench/judgment/build.py --check    # exit 1 when the files are not what the sources give

The sources are plain text, one conversation per block (see README.md for the format). The build is
deterministic: ids, times, accounts and the dev/test split depend only on the sources, and appending
a conversation to a source never moves an existing one to the other split.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
OUT = {"dev": HERE / "dev.jsonl", "test": HERE / "test.jsonl"}

FAMILIES_ESCALATE = (
    "safety", "human_request", "compliance", "data_deletion", "cancellation", "billing_dispute",
    "security_incident", "frustration_over_turns", "repeated_question", "business_context", "legal_threat",
)  # fmt: skip
FAMILIES_NOT = ("routine", "tricky_routine", "business_context")
LANGUAGES = ("en", "es", "de", "fr", "pt", "it", "nl")
CATEGORIES = (
    "safety", "billing", "cancellation", "legal", "privacy", "technical", "account", "security", "compliance", "general",
)  # fmt: skip
# The category a family's conversations are labelled with when the source block names none.
FAMILY_CATEGORY = {"safety": "safety", "compliance": "compliance"}
ROLE = {"C": "customer", "A": "ai", "G": "agent"}
BASE = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday; conversations spread over four weeks
# Dev/test pattern inside each stratum (family, subfamily, direction), in source order: 3 of 5 to dev.
PATTERN = ("dev", "test", "dev", "test", "dev")


@dataclass
class Block:
    source: str
    line: int
    family: str
    sub: str
    language: str
    escalate: bool
    urgency: str | None = None
    category: str | None = None
    account: str = ""
    near: str = ""
    turns: list[tuple[str, str, float | None]] = field(default_factory=list)


class SourceError(ValueError):
    pass


def parse_header(text: str, source: str, line: int) -> Block:
    parts = text.split()
    if len(parts) < 3:
        raise SourceError(f"{source}:{line}: header needs 'family[/sub] language esc|no'")
    fam, _, sub = parts[0].partition("/")
    lang, direction = parts[1], parts[2]
    if lang not in LANGUAGES:
        raise SourceError(f"{source}:{line}: unknown language {lang!r}")
    if direction not in ("esc", "no"):
        raise SourceError(f"{source}:{line}: direction must be esc or no, got {direction!r}")
    esc = direction == "esc"
    allowed = FAMILIES_ESCALATE if esc else FAMILIES_NOT
    if fam not in allowed:
        raise SourceError(f"{source}:{line}: family {fam!r} is not a {'must-escalate' if esc else 'must-not'} family")
    b = Block(source, line, fam, sub, lang, esc)
    for tok in parts[3:]:
        if tok in ("immediate", "queued"):
            b.urgency = tok
            continue
        key, eq, value = tok.partition("=")
        if not eq:
            raise SourceError(f"{source}:{line}: cannot read {tok!r}")
        if key == "cat":
            if value not in CATEGORIES:
                raise SourceError(f"{source}:{line}: unknown category {value!r}")
            b.category = value
        elif key == "acct":
            b.account = value
        elif key == "near":
            b.near = value
        else:
            raise SourceError(f"{source}:{line}: unknown key {key!r}")
    return b


def parse_source(path: Path) -> list[Block]:
    blocks: list[Block] = []
    cur: Block | None = None
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if raw.startswith("#") or not raw.strip():
            continue
        if raw.startswith("@ "):
            cur = parse_header(raw[2:], path.name, n)
            blocks.append(cur)
            continue
        if cur is None:
            raise SourceError(f"{path.name}:{n}: text before the first '@' header")
        if raw.startswith("  ") and cur.turns:  # continuation: a multi-line message (code, forwarded mail)
            role, text, conf = cur.turns[-1]
            cur.turns[-1] = (role, text + "\n" + raw[2:], conf)
            continue
        head, colon, text = raw.partition(": ")
        bits = head.split()
        if not colon or not bits or bits[0] not in ROLE:
            raise SourceError(f"{path.name}:{n}: a turn is 'C: text', 'A 0.8: text' or 'G: text'")
        conf = float(bits[1]) if len(bits) > 1 else None
        cur.turns.append((ROLE[bits[0]], text.strip(), conf))
    for b in blocks:
        if not any(r == "customer" for r, _, _ in b.turns):
            raise SourceError(f"{b.source}:{b.line}: a conversation needs a customer turn")
    return blocks


def account_for(b: Block, start: datetime, key: int) -> dict[str, Any]:
    """Account presets: the business-context family names one; the rest get a stable mix of segments."""
    preset = b.account or ("self", "self", "mid", "self", "none", "mid", "ent", "self", "none", "mid")[key % 10]
    day = start.date()
    acct: dict[str, Any]
    if preset == "none":
        return {}
    if preset == "self":
        acct = {"tier": "self-serve", "mrr": 49, "created_at": "2025-04-14T10:00:00Z"}
    elif preset == "mid":
        acct = {"tier": "mid-market", "mrr": 3200, "created_at": "2024-09-02T10:00:00Z",
                "renewal_date": (day + timedelta(days=160)).isoformat()}  # fmt: skip
    elif preset == "ent":
        acct = {"tier": "enterprise", "mrr": 80000, "created_at": "2023-05-10T10:00:00Z",
                "renewal_date": (day + timedelta(days=200)).isoformat()}  # fmt: skip
    elif preset == "ent-renew":
        acct = {"tier": "enterprise", "mrr": 80000, "created_at": "2023-05-10T10:00:00Z",
                "renewal_date": (day + timedelta(days=9)).isoformat()}  # fmt: skip
    elif preset == "mid-renew":
        acct = {"tier": "mid-market", "mrr": 4100, "created_at": "2024-01-22T10:00:00Z",
                "renewal_date": (day + timedelta(days=7)).isoformat()}  # fmt: skip
    elif preset == "mid-risk":
        acct = {"tier": "mid-market", "mrr": 2600, "created_at": "2024-06-03T10:00:00Z", "at_risk": True,
                "renewal_date": (day + timedelta(days=90)).isoformat()}  # fmt: skip
    elif preset == "mid-new":
        acct = {"tier": "mid-market", "mrr": 1800, "created_at": (start - timedelta(days=12)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    elif preset == "hv":  # self-serve tier but high MRR: the MRR puts it in the enterprise segment
        acct = {"tier": "self-serve", "mrr": 24000, "created_at": "2024-02-01T10:00:00Z"}
    else:
        raise SourceError(f"{b.source}:{b.line}: unknown account preset {preset!r}")
    acct["id"] = f"acct-{key:04d}"
    acct["name"] = f"Customer {key:04d}"
    return acct


def start_time(key: int) -> datetime:
    day = key % 20  # 20 weekdays
    d = BASE + timedelta(days=day // 5 * 7 + day % 5)
    return d + timedelta(hours=(key * 7) % 8, minutes=(key * 13) % 60)


def build() -> dict[str, list[str]]:
    lines: dict[str, list[str]] = {"dev": [], "test": []}
    strata: dict[tuple[str, str, bool], int] = {}
    ids: set[str] = set()
    key = 0
    for path in sorted(SRC.glob("*.txt")):
        per_family: dict[str, int] = {}
        for b in parse_source(path):
            key += 1
            k = per_family[b.family] = per_family.get(b.family, 0) + 1
            cid = f"{path.stem}-{b.family}-{k:03d}"
            if cid in ids:
                raise SourceError(f"duplicate id {cid}")
            ids.add(cid)
            stratum = (b.family, b.sub, b.escalate)
            pos = strata[stratum] = strata.get(stratum, 0) + 1
            split = PATTERN[(pos - 1) % len(PATTERN)]
            start = start_time(key)
            t = start
            messages = []
            for role, text, conf in b.turns:
                m: dict[str, Any] = {"role": role, "text": text, "ts": t.strftime("%Y-%m-%dT%H:%M:%SZ")}
                if conf is not None:
                    m["confidence"] = conf
                messages.append(m)
                t += timedelta(minutes=1 if role == "customer" else 2)
            label: dict[str, Any] = {"escalate": b.escalate}
            category = b.category or (FAMILY_CATEGORY.get(b.family) if b.escalate else None)
            if category:
                label["category"] = category
            tags: dict[str, Any] = {
                "family": b.family,
                "language": b.language,
                "turns": "multi" if sum(r == "customer" for r, _, _ in b.turns) > 1 else "single",
                "split": split,
                "source": f"{path.name}:{b.line}",
            }
            if b.sub:
                tags["subfamily"] = b.sub
            if b.urgency:
                tags["urgency"] = b.urgency
            if b.near:
                tags["near"] = b.near
            conv: dict[str, Any] = {"id": cid}
            acct = account_for(b, start, key)
            if acct:
                conv["account"] = acct
            conv.update(messages=messages, label=label, tags=tags)
            lines[split].append(json.dumps(conv, ensure_ascii=False))
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--check", action="store_true", help="only check that the files are up to date")
    args = ap.parse_args(argv)
    try:
        lines = build()
    except SourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for split, path in OUT.items():
        text = "\n".join(lines[split]) + "\n"
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                print(f"{path.name} is out of date: run python3 bench/judgment/build.py", file=sys.stderr)
                return 1
        else:
            path.write_text(text, encoding="utf-8")
    n = {s: len(v) for s, v in lines.items()}
    print(f"{'checked' if args.check else 'wrote'}: dev {n['dev']}, test {n['test']} conversations")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
