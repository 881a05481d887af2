"""A database error after Slack was answered is retried, never silently dropped."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from bot.flows import ingest
from bot.flows.ingest import Inbound, IngestResult

MSG = Inbound(source="slack", channel="C1", ts="1.0", user="U1", text="hi")


def test_transient_database_errors_are_retried(monkeypatch):
    calls = []

    def flaky(deps, msg):
        calls.append(msg)
        if len(calls) < 3:
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return IngestResult(True, "ok")

    monkeypatch.setattr(ingest, "ingest_message", flaky)
    assert ingest.ingest_reliably(None, MSG, waits=(0, 0, 0)).recorded  # type: ignore[arg-type]
    assert len(calls) == 3


def test_a_message_that_cannot_be_recorded_is_logged_whole(monkeypatch, caplog):
    def broken(deps, msg):
        raise OperationalError("INSERT", {}, Exception("database is down"))

    monkeypatch.setattr(ingest, "ingest_message", broken)
    with pytest.raises(OperationalError):
        ingest.ingest_reliably(None, MSG, waits=(0, 0))  # type: ignore[arg-type]
    [record] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert "NOT recorded after 3 attempts" in record.getMessage() and "text='hi'" in record.getMessage()
