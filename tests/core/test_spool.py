"""The spool: what it took is replayed in order, once, whatever happened to the process that wrote it."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.spool import Spool


def _entry(n: int) -> dict[str, Any]:
    return {"key": f"event:Ev{n}", "lane": "events", "body": "{}", "content_type": "application/json"}


def test_entries_are_replayed_in_order_and_the_file_is_removed(tmp_path: Path):
    spool = Spool(tmp_path)
    assert not spool.active
    for n in range(5):
        spool.append(_entry(n))
    assert spool.active
    seen: list[str] = []
    assert spool.drain(lambda e: seen.append(e["key"])) == 5
    assert seen == [f"event:Ev{n}" for n in range(5)]
    assert not spool.active and list(tmp_path.iterdir()) == []


def test_a_failed_insert_keeps_the_rest_for_the_next_drain(tmp_path: Path):
    spool = Spool(tmp_path)
    for n in range(4):
        spool.append(_entry(n))
    inserted: list[str] = []

    def flaky(entry: dict[str, Any]) -> None:
        if entry["key"] == "event:Ev2" and "failed-once" not in inserted:
            inserted.append("failed-once")
            raise ConnectionError("database still down")
        inserted.append(entry["key"])

    with pytest.raises(ConnectionError):
        spool.drain(flaky)
    assert spool.active
    spool.append(_entry(9))  # arrives while the first drain failed: still after the others
    spool.drain(flaky)
    # Ev0 and Ev1 come twice (the retried file starts over); the inbox key makes that one insert each
    assert inserted == [
        "event:Ev0",
        "event:Ev1",
        "failed-once",
        "event:Ev0",
        "event:Ev1",
        "event:Ev2",
        "event:Ev3",
        "event:Ev9",
    ]
    assert not spool.active


def test_a_torn_last_line_is_skipped(tmp_path: Path):
    spool = Spool(tmp_path)
    spool.append(_entry(1))
    spool.close()
    with open(tmp_path / f"spool-{os.getpid()}.jsonl", "ab") as f:
        f.write(b'{"key": "event:Ev2", "la')  # the process died mid-write: never answered 200
    seen: list[str] = []
    Spool(tmp_path).drain(lambda e: seen.append(e["key"]))
    assert seen == ["event:Ev1"]


def test_a_dead_process_file_is_replayed_and_a_live_one_is_left_alone(tmp_path: Path):
    writer = (
        "import sys; from bot.spool import Spool; s = Spool(sys.argv[1]); "
        "s.append({'key': 'event:dead', 'lane': 'events'}); print('ok', flush=True)"
    )
    subprocess.run([sys.executable, "-c", writer, str(tmp_path)], check=True, capture_output=True)
    live = tmp_path / "spool-999999.jsonl"
    live.write_text(json.dumps({"key": "event:live"}) + "\n")
    with open(live, "rb") as holder:  # a live process holds its segment's lock
        fcntl.flock(holder.fileno(), fcntl.LOCK_EX)
        spool = Spool(tmp_path)
        assert spool.active  # leftovers found at start
        seen: list[str] = []
        spool.drain(lambda e: seen.append(e["key"]))
        assert seen == ["event:dead"]
        assert live.exists()
