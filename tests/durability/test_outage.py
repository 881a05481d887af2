"""PostgreSQL unreachable while messages arrive: nothing answered 200 is lost once it is back.

Baton reaches PostgreSQL through a TCP proxy on loopback; the proxy drops every connection and
refuses new ones for a while as events keep arriving. Baton spools what it cannot store, answers
200, and replays the spool into the inbox when the database answers again (the run itself:
bot.sandbox.durability.outage_run, which bench/durability.py times).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.sandbox.durability import customer_channels, outage_run
from tests.conftest import ON_POSTGRES

CHANNELS = customer_channels(8)
OUTAGE_SECONDS = 10
RATE = 4.0  # events per second, before, during and after the outage


@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL (DATABASE_URL) to cut off")
def test_a_database_outage_loses_no_acked_message(tmp_path: Path, database_url: str):
    # the outage starts 2 s into the burst and lasts OUTAGE_SECONDS
    run = outage_run(
        tmp_path,
        database_url,
        CHANNELS,
        seconds=OUTAGE_SECONDS,
        rate=RATE,
        events=int(RATE * (OUTAGE_SECONDS + 6)),
        cut_after=2.0,
        # generous: a card whose outbox item was leased as the database went away is posted when that
        # lease (60 s) runs out; the wait ends as soon as everything has landed
        settle=90,
    )
    result = run.tally
    assert run.spooled > 0, "the outage did not reach Baton: " + run.log_tail
    assert result.lost == [], f"acked but never recorded: {result.line()}\n{run.log_tail}"
    assert result.acked > 0 and result.recorded == result.acked
    assert result.doubled_cards == 0 and result.cards == result.escalations, result.line()
    assert result.doubled_customer_notes == 0
    assert result.pending_inbox == 0
    assert not list((tmp_path / "spool").glob("*.replay")), "the spool was not fully replayed"
