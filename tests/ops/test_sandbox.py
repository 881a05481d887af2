"""`baton serve --sandbox` as a user runs it: a real process with the stand-ins and Baton's HTTP
server, driven by `baton sandbox say|click|show` (more processes) and by its page's API."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.ops.test_socket_mode import Output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _baton(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "sandbox", "--url", url, *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_sandbox_a_customer_message_becomes_a_card_that_can_be_claimed(tmp_path: Path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATON_", "DATABASE_URL"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--sandbox", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out = Output(proc)
    try:
        assert out.wait_for("Ctrl-C to stop", timeout=90), out.text()
        assert f"Open {url}/" in out.text() and 'baton sandbox say "I want to talk to a human"' in out.text()

        # nothing to click before anyone asked for a human
        early = _baton(url, "click", "claim")
        assert early.returncode == 2 and "no card shows a claim button" in early.stderr

        said = _baton(url, "say", "I want to talk to a human, please")
        assert said.returncode == 0, said.stderr
        assert "Baton answered HTTP 200" in said.stdout

        shown = _baton(url, "show")
        assert shown.returncode == 0, shown.stderr
        card = [line for line in shown.stdout.splitlines() if line.startswith("#team-support baton:")]
        assert card and card[0].endswith("[claim] [hand_off] [note]"), shown.stdout  # every button it shows
        assert "human" in shown.stdout.split("#team-support", 1)[0]  # the customer's message came first

        clicked = _baton(url, "click", "claim")
        assert clicked.returncode == 0, clicked.stderr
        assert clicked.stdout.startswith("U0CAROL clicked claim")
        after = _baton(url, "show").stdout
        assert "claimed by <@U0CAROL>" in after and "carol from support has joined" in after

        # the page and its API, as the browser uses them
        page = httpx.get(f"{url}/", timeout=10)
        assert page.status_code == 200 and "<form" in page.text and "/api/say" in page.text
        bad = httpx.post(f"{url}/api/say", json={"text": "hi", "customer": "nobody"}, timeout=10)
        assert bad.status_code == 400 and "no customer 'nobody'" in bad.json()["error"]
        legal = httpx.post(
            f"{url}/api/say",
            json={"text": "Our attorney will file a lawsuit", "customer": "globex"},
            timeout=30,
        )
        assert legal.status_code == 200 and legal.json()["ok"]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            messages = httpx.get(f"{url}/api/messages", timeout=10).json()["messages"]
            if any(m["channel"] == "C0LEGAL" and "claim" in m["buttons"] for m in messages):
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"no legal card: {messages}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert proc.returncode == 0, out.text()
    assert "Traceback" not in out.text()
