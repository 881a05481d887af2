"""`baton import zendesk|intercom EXPORT [-o OUT]`: a helpdesk export as `baton backtest` input.

Audit past conversations before going live, as the first step of writing a policy:

    baton import zendesk tickets.json -o history.jsonl && baton backtest history.jsonl

EXPORT is one JSON document or JSON Lines (one record per line; '-' reads standard input):
  zendesk   {"tickets": [...]} (a list or incremental export page; comments inside each ticket, or
            side-loaded as "comments" with their ticket_id), {"ticket": {...}, "comments": [...]},
            or one ticket per line (a full JSON export). Public comments become messages (internal
            notes are left out): the requester's are the customer's, answer-bot/AI-agent ones
            (via.channel, or an author named with --ai-author) the AI agent's, the rest an agent's.
            The account is the ticket's organization_id.
  intercom  {"type": "conversation.list", "conversations": [...]}, one conversation
            (GET /conversations/{id}), or one per line. The source message and conversation_parts
            become messages (notes are left out; HTML bodies become text): user/lead/contact authors
            are the customer, bots (Fin) the AI agent, admins an agent. The account is the first
            contact's external_id (else its id).

Texts are masked as the policy's `redaction` says (card numbers and secrets by default; --no-redact
keeps them). A record that cannot be used is reported on stderr with its line or index and skipped.
Exit status: 0 when at least one conversation was written (with --strict: and no record was bad);
1 when the export cannot be read or nothing in it was usable.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import IO, Any

from bot.domain.redact import NO_REDACTION
from bot.helpdesk_export import CONVERTERS, BadRecord, Helpdesk, Options
from bot.policy import PolicyFileError, load_policy

MAX_REPORTED = 50
MAX_DOCUMENT_BYTES = 512 * 1024 * 1024  # a single JSON document is read whole; JSON Lines stream


class ExportError(Exception):
    """The export as a whole cannot be read."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "import",
        help="turn a Zendesk or Intercom export into `baton backtest` input (JSON Lines)",
        description=__doc__.split("\n", 2)[2] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("helpdesk", choices=[h.value for h in Helpdesk], help="where the export comes from")
    p.add_argument("export", help="the export file (JSON or JSON Lines; '-' for standard input)")
    p.add_argument("-o", "--output", default="-", help="where to write the conversations (default: stdout)")
    p.add_argument(
        "--ai-author",
        action="append",
        default=[],
        metavar="ID",
        help="an author id that is your AI agent (repeat for several)",
    )
    p.add_argument(
        "--label-handoffs",
        action="store_true",
        help="label each conversation escalate=true when a human agent wrote in it",
    )
    p.add_argument("--policy", default=None, help="policy YAML whose `redaction` masks the texts")
    p.add_argument("--no-redact", action="store_true", help="keep card numbers, secrets... as they are")
    p.add_argument("--strict", action="store_true", help="exit 1 when any record is bad")
    p.set_defaults(func=run)
    return p


def _records(stream: IO[str], helpdesk: Helpdesk) -> Iterator[tuple[str, Any]]:
    """(where, record) for every record in the export: JSON Lines when the first line is a whole JSON
    value, else one JSON document."""
    converter = CONVERTERS[helpdesk]
    first, first_number = "", 0
    for number, line in enumerate(stream, start=1):
        if line.strip():
            first, first_number = line, number
            break
    if not first:
        raise ExportError("the export is empty")
    try:
        head: Any = json.loads(first)
        lines_mode = True
    except json.JSONDecodeError:
        lines_mode = False
    if lines_mode:
        yield from _line_records(first_number, head, converter.records)
        for number, line in enumerate(stream, start=first_number + 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                yield f"line {number}", BadRecord(f"not JSON: {exc.msg} at column {exc.colno}")
                continue
            yield from _line_records(number, value, converter.records)
        return
    rest = stream.read(MAX_DOCUMENT_BYTES + 1)
    text = first + rest
    if len(text) > MAX_DOCUMENT_BYTES:
        raise ExportError("the export is larger than 512 MB as one JSON document: export it as JSON Lines")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExportError(
            f"not JSON or JSON Lines: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    try:
        for i, rec in enumerate(converter.records(doc)):
            yield f"record {i + 1}", rec
    except BadRecord as exc:
        raise ExportError(str(exc)) from None


def _line_records(number: int, value: Any, records: Any) -> Iterator[tuple[str, Any]]:
    try:
        for j, rec in enumerate(records(value)):
            yield (f"line {number}" if j == 0 else f"line {number} record {j + 1}"), rec
    except BadRecord as exc:
        yield f"line {number}", exc


def _open_in(path: str) -> IO[str]:
    return sys.stdin if path == "-" else open(path, encoding="utf-8", errors="replace")  # noqa: SIM115


def _open_out(path: str) -> IO[str]:
    return sys.stdout if path == "-" else open(path, "w", encoding="utf-8")  # noqa: SIM115


def run(args: argparse.Namespace) -> int:
    err = sys.stderr
    helpdesk = Helpdesk(args.helpdesk)
    redact: Any = NO_REDACTION
    if not args.no_redact:
        try:
            redact = load_policy(args.policy).redactor
        except PolicyFileError as exc:
            print(f"error: {exc}", file=err)
            return 1
    options = Options(ai_authors=frozenset(args.ai_author), label_handoffs=args.label_handoffs, redact=redact)
    try:
        stream = _open_in(args.export)
    except OSError as exc:
        print(f"error: cannot read {args.export}: {exc.strerror}", file=err)
        return 1
    try:
        out = _open_out(args.output)
    except OSError as exc:
        print(f"error: cannot write {args.output}: {exc.strerror}", file=err)
        if stream is not sys.stdin:
            stream.close()
        return 1
    written = bad = 0
    convert = CONVERTERS[helpdesk].convert
    try:
        for where, rec in _records(stream, helpdesk):
            try:
                if isinstance(rec, BadRecord):
                    raise rec
                conv = convert(rec, options)
            except BadRecord as exc:
                bad += 1
                if bad <= MAX_REPORTED:
                    print(f"{args.export}: {where}: {exc}", file=err)
                continue
            out.write(json.dumps(conv, ensure_ascii=False) + "\n")
            written += 1
    except ExportError as exc:
        print(f"error: {args.export}: {exc}", file=err)
        return 1
    finally:
        if stream is not sys.stdin:
            stream.close()
        if out is not sys.stdout:
            out.close()
    if bad > MAX_REPORTED:
        print(f"... {bad - MAX_REPORTED} more bad records not shown", file=err)
    print(f"{written} conversation{'s' if written != 1 else ''} written, {bad} skipped", file=err)
    if written == 0:
        print(f"error: nothing in {args.export} is a {helpdesk.value} conversation", file=err)
        return 1
    return 1 if bad and args.strict else 0
