"""PostgreSQL unreachable while messages arrive: nothing answered 200 is lost once it is back.

Baton reaches PostgreSQL through a TCP proxy on loopback; the proxy drops every connection and
refuses new ones for a while as events keep arriving. Baton spools what it cannot store, answers
200, and replays the spool into the inbox when the database answers again.
"""

from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.sandbox.driver import SlackDriver
from bot.sandbox.durability import (
    SECRET,
    BatonProcess,
    TcpProxy,
    customer_channels,
    make_burst,
    policy_yaml,
    send,
    slack_world,
    through_proxy,
    wait_until_settled,
)
from tests.conftest import ON_POSTGRES

CHANNELS = customer_channels(8)
OUTAGE_SECONDS = 10
RATE = 4.0  # events per second, before, during and after the outage


@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL (DATABASE_URL) to cut off")
def test_a_database_outage_loses_no_acked_message(tmp_path: Path, database_url: str):
    slack = slack_world(CHANNELS)
    parts = urlsplit(database_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    policy = tmp_path / "policy.yaml"
    policy.write_text(policy_yaml(CHANNELS))
    baton = BatonProcess(tmp_path, slack, through_proxy(database_url, proxy), policy).start()
    driver = SlackDriver(baton.url, SECRET, slack)
    burst = make_burst(driver, slack, CHANNELS, int(RATE * (OUTAGE_SECONDS + 6)))
    try:
        # the outage starts 2 s into the burst and lasts OUTAGE_SECONDS
        cut = threading.Timer(2.0, proxy.cut)
        back = threading.Timer(2.0 + OUTAGE_SECONDS, proxy.restore)
        cut.start()
        back.start()
        send(driver, burst, burst.envelopes, rate=RATE)
        cut.join()
        back.join()
        spooled = (tmp_path / "baton.log").read_text(errors="replace").count("spooling requests locally")
        result = wait_until_settled(database_url, slack, burst, CHANNELS, timeout=40)
    finally:
        driver.close()
        baton.stop()
        proxy.close()
        slack.stop()
    assert spooled > 0, "the outage did not reach Baton: " + baton.tail()
    assert result.lost == [], f"acked but never recorded: {result.line()}\n{baton.tail()}"
    assert result.acked > 0 and result.recorded == result.acked
    assert result.doubled_cards == 0 and result.cards == result.escalations, result.line()
    assert result.doubled_customer_notes == 0
    assert result.pending_inbox == 0
    assert not list((tmp_path / "spool").glob("*.replay")), "the spool was not fully replayed"
