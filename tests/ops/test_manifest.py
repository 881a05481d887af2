"""manifest.yml asks for exactly the bot scopes Baton's code needs, and subscribes to what it handles.

The Web API methods are collected from the source (every `<client>.<method>(` call whose name is a
slack_sdk WebClient method, and `api_call("...")`), the events from the `@app.event(...)` listeners;
their scopes come from tests/fixtures/slack_scopes.json, which is checked against the reference copy
of slack-api-ref when it is present (../shared/reference/slack-api-ref beside the repository).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
import yaml
from slack_sdk import WebClient

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = json.loads((ROOT / "tests" / "fixtures" / "slack_scopes.json").read_text(encoding="utf-8"))
MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
REFERENCE = next(
    (
        p
        for p in (
            ROOT.parent / "shared" / "reference" / "slack-api-ref",
            ROOT.parents[1] / "shared" / "reference" / "slack-api-ref",
        )
        if p.is_dir()
    ),
    None,
)
SOURCES = [
    p
    for package in ("bot", "handlers", "integrations")
    for p in sorted((ROOT / package).rglob("*.py"))
    if "sandbox" not in p.relative_to(ROOT).parts  # the stand-ins answer calls, they make none
]


def _web_api_methods() -> dict[str, set[str]]:
    """API method name -> files calling it."""
    found: dict[str, set[str]] = {}
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            attr = node.func.attr
            name = None
            if attr == "api_call" and node.args and isinstance(node.args[0], ast.Constant):
                name = str(node.args[0].value)
            elif attr in FIXTURE["sdk_helpers"]:
                for method in FIXTURE["sdk_helpers"][attr]:  # files_upload_v2 calls two methods
                    found.setdefault(method, set()).add(str(path.relative_to(ROOT)))
            elif "_" in attr and not attr.startswith("_") and callable(getattr(WebClient, attr, None)):
                name = attr.replace("_", ".")  # chat_postMessage -> chat.postMessage
            if name:
                found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def _handled_events() -> set[str]:
    events = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "event"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                events.add(str(node.args[0].value))
    return events


def _has_slash_command_listener() -> bool:
    return any(
        isinstance(n, ast.Attribute) and n.attr == "command"
        for p in SOURCES
        for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
    )


def test_the_collector_finds_the_calls_it_should():
    methods = _web_api_methods()
    assert {"chat.postMessage", "chat.update", "conversations.open", "views.publish"} <= methods.keys()
    assert "message" in _handled_events()


def test_every_method_baton_calls_has_its_scopes_on_record():
    unknown = {m: sorted(f) for m, f in _web_api_methods().items() if m not in FIXTURE["methods"]}
    assert unknown == {}, (
        "add these methods' bot scopes to tests/fixtures/slack_scopes.json "
        "(from slack-api-ref/methods/<method>.json) and to manifest.yml"
    )


def _needed_scopes() -> set[str]:
    needed: set[str] = set()
    for method in _web_api_methods():
        needed |= set(FIXTURE["methods"][method]["baton_needs"])
    for event in MANIFEST["settings"]["event_subscriptions"]["bot_events"]:
        needed |= set(FIXTURE["events"][event])
    if MANIFEST["features"].get("slash_commands") or _has_slash_command_listener():
        needed |= set(FIXTURE["slash_commands"])
    return needed


def test_the_manifest_asks_for_exactly_the_scopes_the_code_needs():
    asked = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    needed = _needed_scopes()
    assert sorted(needed - asked) == [], "missing from manifest.yml: Slack refuses these calls or events"
    assert sorted(asked - needed) == [], "asked for but unused: drop them from manifest.yml"


def test_every_subscribed_event_is_handled_and_every_handled_event_subscribed():
    subscribed = set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])
    as_types = {e.split(".")[0] for e in subscribed}  # message.channels arrives as a `message` event
    handled = _handled_events()
    assert as_types == handled
    assert subscribed <= FIXTURE["events"].keys()


def test_the_slash_command_and_interactivity_match_the_listeners():
    commands = {c["command"] for c in MANIFEST["features"]["slash_commands"]}
    assert commands == {"/escalations"}
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True  # views.publish needs it


def test_the_readme_lists_the_manifest_scopes():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Connect your workspace", 1)[1].split("2. **Install it**", 1)[0]
    for scope in MANIFEST["oauth_config"]["scopes"]["bot"]:
        assert f"`{scope}`" in section, scope
    assert "reactions:write" not in section  # nothing adds reactions


@pytest.mark.skipif(REFERENCE is None, reason="the slack-api-ref copy (../shared/reference) is not here")
def test_the_fixture_matches_the_reference():
    assert REFERENCE is not None
    for method, facts in FIXTURE["methods"].items():
        ref = json.loads((REFERENCE / "methods" / f"{method}.json").read_text(encoding="utf-8"))
        bot = (ref.get("scope") or {}).get("bot") or []
        assert sorted(facts["reference"]) == sorted(bot), method
        assert set(facts["baton_needs"]) <= set(bot), method  # what Baton asks for grants the method
        assert bool(bot) or ref.get("no_scope_required"), method
    for event, scopes in FIXTURE["events"].items():
        ref = json.loads((REFERENCE / "events" / f"{event}.json").read_text(encoding="utf-8"))
        # slack-api-ref writes app_mentions.read; the scope is app_mentions:read
        assert sorted(
            s.replace("app_mentions.read", "app_mentions:read") for s in ref.get("scopes") or []
        ) == sorted(scopes), event


def test_the_message_shortcut_is_declared_with_the_callback_id_baton_listens_for():
    """"Should have escalated" (message shortcut): Slack sends message_action with the manifest's
    callback_id; the listener in handlers/feedback.py matches bot.cards.MISSED_SHORTCUT."""
    from bot.cards import MISSED_SHORTCUT

    [shortcut] = MANIFEST["features"]["shortcuts"]
    assert shortcut["type"] == "message" and shortcut["callback_id"] == MISSED_SHORTCUT
    assert len(shortcut["name"]) <= 24 and len(shortcut["description"]) <= 80  # Slack's limits
    assert "commands" in MANIFEST["oauth_config"]["scopes"]["bot"]  # shortcuts need the commands scope
