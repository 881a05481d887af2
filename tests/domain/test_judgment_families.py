"""Every family of issue 7, both directions, on conversations of the judgment dev split.

The conversations live in bench/judgment/dev.jsonl (hand-written, see its README); they are picked here
by id, and only from the dev split: the test split is for final figures, never for tests or tuning.
Each is replayed through the engine's public API as Baton sees it live (`analyse` each message,
`decide` after each one) with the built-in policy, the one `baton backtest` and the app load, with
its model. A must-escalate conversation must escalate at some point, with the expected category and
urgency where the set labels one; a must-not one must never escalate.

The cases the built-in policy misses today are listed in KNOWN_MISSES and expected to fail, strictly:
the list is the work left, and it can only shrink (see the comment above it). The last test holds the
whole dev split above floors, so a regression fails even on conversations not picked here.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from bot.commands.backtest import Conversation, load_engine, parse_conversation
from bot.domain.model import Account, Decision, Message
from bot.domain.triggers import EngineConfig, MessageAnalysis, analyse, decide

DEV = Path(__file__).resolve().parents[2] / "bench" / "judgment" / "dev.jsonl"
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)

# must-escalate conversations per family, and the must-not ones each could be mistaken for
ESCALATE: dict[str, list[str]] = {
    "safety": [
        "safety-safety-001",  # smoke coming out of the charger
        "safety-safety-003",  # bereavement, after an AI answer asking for the dead man's password
        "v2-conversations-safety-001",  # abusive ex still has the password
        "v2-conversations-safety-005",  # de: the robot's battery is smoking, children in the house
        "safety-safety-019",  # es: self-harm
        "safety-safety-034",  # nl: self-harm
    ],
    "human_request": [
        "human-human_request-001",  # polite
        "human-human_request-006",  # indirect: bring one of your engineers into this thread
        "human-human_request-012",  # callback
        "human-human_request-017",  # is a real human reading this?
        "human-human_request-019",  # multi-turn: is there an actual person on the other end?
        "human-human_request-024",  # sarcasm: oh wonderful, a robot again
        "human-human_request-028",  # negation that means yes: I'm not talking to you any more!
        "human-human_request-033",  # typos
        "v2-conversations-human_request-005",  # multi-turn: don't want to go back and forth with an AI
        "v2-conversations-human_request-007",  # multi-turn sarcasm
    ],
    "non_english": [
        "human-human_request-039",  # es
        "human-human_request-047",  # de
        "human-human_request-055",  # fr
        "human-human_request-063",  # pt
        "human-human_request-073",  # it
        "human-human_request-077",  # nl
        "human-human_request-054",  # de, multi-turn
        "human-human_request-062",  # fr, multi-turn, indirect
        "v2-conversations-human_request-009",  # es, multi-turn
        "v2-conversations-human_request-016",  # it, multi-turn
        "v2-conversations-human_request-015",  # pt, multi-turn
    ],
    "compliance": [
        "topics-compliance-001",  # SOC 2 report
        "topics-compliance-003",  # DPA
        "topics-compliance-004",  # data residency
        "topics-compliance-013",  # de: AVV
        "topics-compliance-014",  # fr: SOC 2
        "v2-conversations-compliance-001",  # multi-turn: DPA with SCCs
    ],
    "data_deletion": [
        "topics-data_deletion-001",  # erase all the data you keep about me
        "topics-data_deletion-004",  # Article 17
        "topics-data_deletion-007",  # typos
        "topics-data_deletion-013",  # de
        "topics-data_deletion-016",  # pt
        "v2-conversations-data_deletion-001",  # multi-turn, after unsubscribing
    ],
    "cancellation": [
        "topics-cancellation-001",  # end our plan at the end of the month
        "topics-cancellation-003",  # moving to Zendesk
        "topics-cancellation-008",  # typos
        "topics-cancellation-014",  # de
        "topics-cancellation-015",  # fr
        "v2-conversations-cancellation-001",  # multi-turn: consider this our notice
        "v2-conversations-cancellation-004",  # it, multi-turn
    ],
    "billing_dispute": [
        "topics-billing_dispute-001",  # a charge on my card I did not make
        "topics-billing_dispute-002",  # charged us twice
        "topics-billing_dispute-010",  # typos
        "topics-billing_dispute-013",  # es
        "topics-billing_dispute-015",  # de
        "v2-conversations-billing_dispute-001",  # multi-turn: both payments settled
        "v2-conversations-billing_dispute-005",  # fr, multi-turn
    ],
    "security_incident": [
        "topics-security_incident-001",  # logged in from another country
        "topics-security_incident-002",  # password changed and it wasn't me
        "topics-security_incident-009",  # multi-turn: reset emails go to someone else
        "topics-security_incident-015",  # fr
        "topics-security_incident-017",  # pt
        "v2-conversations-security_incident-002",  # multi-turn: key posted on Discord
    ],
    "legal_threat": [
        "topics-legal_threat-001",  # our counsel ... breach of contract
        "topics-legal_threat-002",  # taking you to court
        "topics-legal_threat-004",  # consumer ombudsman
        "topics-legal_threat-010",  # es
        "topics-legal_threat-014",  # fr
        "v2-conversations-legal_threat-003",  # fr, multi-turn: CNIL
    ],
    "frustration_over_turns": [
        "turns-frustration_over_turns-001",
        "turns-frustration_over_turns-002",  # that didn't help, that didn't work either
        "turns-frustration_over_turns-004",
        "turns-frustration_over_turns-009",  # es
        "turns-frustration_over_turns-014",  # nl
        "v2-conversations-frustration_over_turns-001",  # de
        "v2-conversations-frustration_over_turns-007",
        "v2-conversations-frustration_over_turns-002",  # es: no ha servido, nada de lo que me decís funciona
        "v2-conversations-frustration_over_turns-006",  # nl: lukt het niet, zelfde probleem
    ],
    "repeated_question": [
        "turns-repeated_question-001",
        "turns-repeated_question-003",
        "turns-repeated_question-005",
        "turns-repeated_question-008",  # de
        "turns-repeated_question-014",  # the same words, shouted
        "v2-conversations-repeated_question-003",  # fr
        "turns-repeated_question-010",  # pt: pergunto de novo
        "v3-conversations-repeated_question-001",  # no shared word between two askings: "or not"
    ],
    "business_context": [
        "turns-business_context-001",  # enterprise, $80k MRR: our admins are locked out
        "turns-business_context-003",
        "turns-business_context-005",  # renewing in 9 days
        "turns-business_context-007",  # 12 days old
        "turns-business_context-009",  # at risk
        "turns-business_context-015",  # es
        "v2-conversations-business_context-001",
        "turns-business_context-021",  # nl: onze beheerders kunnen niet meer inloggen sinds de update
        "v3-conversations-business_context-005",  # at risk: notifications delayed by an hour today
    ],
}
LEAVE_ALONE: dict[str, list[str]] = {
    "safety": [
        "tricky-tricky_routine-037",  # a killer feature, I'm dying to show it
        "tricky-tricky_routine-039",  # smoke tests in CI
        "tricky-tricky_routine-040",  # a funeral home's condolence pages
        "tricky-tricky_routine-010",  # we sell smoke detectors: customers write "there's smoke coming out"
    ],
    "human_request": [
        "tricky-tricky_routine-061",  # no need for a person, just send the PDF
        "tricky-tricky_routine-063",  # don't bother a human with this
        "v2-conversations-tricky_routine-003",  # multi-turn: no need to get anyone involved
        "tricky-tricky_routine-044",  # I'm a travel agent
        "tricky-tricky_routine-045",  # a human approval step in a workflow
        "tricky-tricky_routine-094",  # could you ask an agent how to change my shipping address?
        "tricky-tricky_routine-019",  # our auto-reply template says "talk to a real person"
    ],
    "non_english": [
        "routine-routine-044",  # es
        "routine-routine-050",  # de
        "routine-routine-056",  # fr
        "routine-routine-063",  # pt
        "routine-routine-072",  # it
        "routine-routine-077",  # nl
        "tricky-tricky_routine-011",  # es: customers write "quiero hablar con una persona"
        "tricky-tricky_routine-070",  # de: ich brauche keinen Mitarbeiter
    ],
    "compliance": [
        "tricky-tricky_routine-049",  # where is your privacy policy, to link to it
        "routine-routine-059",  # fr: does Business include SSO?
    ],
    "data_deletion": [
        "tricky-tricky_routine-028",  # is DELETE /v1/contacts/{id} permanent?
        "tricky-tricky_routine-047",  # delete old attachments to free up storage
    ],
    "cancellation": [
        "tricky-tricky_routine-075",  # cancel my ORDER
        "tricky-tricky_routine-079",  # de: Bestellung stornieren
        "v2-conversations-tricky_routine-014",  # multi-turn: cancel one of two identical orders
        "tricky-tricky_routine-065",  # I don't want to cancel, just change the card
        "tricky-tricky_routine-050",  # cancel a meeting invite
        "tricky-tricky_routine-023",  # code: the subscription.cancel webhook event
        "tricky-tricky_routine-003",  # quoted: end customers clicked "cancel my subscription"
    ],
    "billing_dispute": [
        "tricky-tricky_routine-086",  # why was I charged $12 extra? -> seats added; all good
        "v2-conversations-tricky_routine-007",  # pt, the same, resolved
        "tricky-tricky_routine-052",  # refund one of MY customers
        "tricky-tricky_routine-027",  # code: simulate a duplicate charge in the sandbox
        "routine-routine-098",  # a $1 card authorisation
    ],
    "security_incident": [
        "tricky-tricky_routine-032",  # tips to keep my account from being hacked
        "tricky-tricky_routine-055",  # es: the same
        "tricky-tricky_routine-068",  # my account wasn't hacked, I want a stronger password
        "tricky-tricky_routine-025",  # code: 401 "credentials compromised or expired"
        "v2-conversations-tricky_routine-012",  # code: 403 token lacks scope
        "tricky-tricky_routine-005",  # a help article titled "what to do if your account was hacked"
    ],
    "legal_threat": [
        "tricky-tricky_routine-001",  # one of my customers wrote "I want a lawyer"
        "tricky-tricky_routine-030",  # a firm of attorneys with 30 staff
        "tricky-tricky_routine-057",  # fr: un cabinet d'avocats
        "tricky-tricky_routine-034",  # a small law office
        "tricky-tricky_routine-022",  # fr: forwarded "je contacterai mon avocat"
        "v2-conversations-tricky_routine-002",  # multi-turn quoted "report you to trading standards"
    ],
    "frustration_over_turns": [
        "tricky-tricky_routine-084",  # resolved after a few tries
        "tricky-tricky_routine-088",  # es
        "tricky-tricky_routine-089",  # de
        "v2-conversations-tricky_routine-005",  # "my bad. makes sense now"
        "tricky-tricky_routine-054",  # I hate Mondays lol
        "v2-conversations-routine-011",  # fr: "Super, c'est fait." scores frustration 0.7: a closing
    ],
    "repeated_question": [
        "tricky-tricky_routine-091",  # export contacts / deals / tasks
        "tricky-tricky_routine-093",  # de: Sprache / Zeitzone / Datumsformat
        "routine-routine-007",  # users on Team, then monthly or yearly
    ],
    "business_context": [
        "turns-business_context-002",  # self-serve: our admins are locked out
        "turns-business_context-004",
        "turns-business_context-006",
        "turns-business_context-008",
        "turns-business_context-010",
        "turns-business_context-016",  # es
        "v2-conversations-business_context-002",
    ],
}


# What the built-in policy gets wrong today (model baton-nlu-2026.12.3, label triggers on; before they
# went on, 61 more dev cases were listed here, and 2026.12.3 fixed 12 of 2026.12.2's): each is an expected failure, strictly. A case that starts passing
# fails as XPASS: the engine got better, so take its line out of this list (the list only shrinks).
# A case not listed that fails is a regression. Do not add a line to make a change land: fix the
# engine, or say in the commit why the expectation (the dev set's label) is wrong.
KNOWN_MISSES: frozenset[str] = frozenset(
    {
        "escalate non_english:human-human_request-062",
        "escalate compliance:topics-compliance-003",
        "escalate cancellation:topics-cancellation-014",  # de "Vertrag nicht verlängern": legal 0.37 >= 0.35, to legal
        "not billing_dispute:tricky-tricky_routine-027",
        "not frustration_over_turns:tricky-tricky_routine-084",
        # newly missed when the label triggers went on (model baton-nlu-2026.12.2):
        "escalate human_request:v2-conversations-human_request-007",  # sarcasm: only frustration_building (queued)
        "not human_request:tricky-tricky_routine-019",  # an auto-reply template pasted without quote marks
        "not billing_dispute:v2-conversations-tricky_routine-007",  # pt: "why was I charged more?", then "oh right"
    }
)
KNOWN_MISS = pytest.mark.xfail(
    strict=True,
    reason="known miss of the built-in policy; when it passes, remove it from KNOWN_MISSES",
)


@cache
def dev_set() -> dict[str, Conversation]:
    convs = {}
    for line in DEV.read_text(encoding="utf-8").splitlines():
        conv = parse_conversation(line, NOW)
        convs[conv.id] = conv
    return convs


@cache
def config() -> EngineConfig:
    return load_engine(None)[0]


def live(messages: list[Message], account: Account, cfg: EngineConfig) -> tuple[Decision | None, Decision]:
    """Decide after every message, as Baton does live: (the first escalating decision, the last one)."""
    history: list[tuple[Message, MessageAnalysis]] = []
    first: Decision | None = None
    last: Decision | None = None
    for msg in messages:
        history.append((msg, analyse(msg, cfg)))
        last = decide(history, account, msg.ts, cfg)
        if last.escalate and first is None:
            first = last
    assert last is not None
    return first, last


def _show(conv: Conversation, d: Decision) -> str:
    turns = "\n".join(f"  {m.role}: {m.text}" for m in conv.messages)
    return f"{conv.id} ({conv.account.tier}) -> escalate={d.escalate} triggers={d.trigger_ids}\n{turns}"


def _cases(table: dict[str, list[str]], kind: str) -> list[Any]:
    params = []
    for fam, ids in table.items():
        for cid in ids:
            name = f"{fam}:{cid}"
            marks = [KNOWN_MISS] if f"{kind} {name}" in KNOWN_MISSES else []
            params.append(pytest.param(fam, cid, id=name, marks=marks))
    return params


def test_every_family_has_cases_both_ways_and_all_come_from_the_dev_split() -> None:
    assert set(ESCALATE) == set(LEAVE_ALONE)
    test_ids = {
        json.loads(line)["id"]
        for line in (DEV.parent / "test.jsonl").read_text(encoding="utf-8").splitlines()
    }
    for table, expected in ((ESCALATE, True), (LEAVE_ALONE, False)):
        for fam, ids in table.items():
            assert ids, fam
            for cid in ids:
                assert cid in dev_set() and cid not in test_ids, cid
                conv = dev_set()[cid]
                assert conv.label_escalate is expected and conv.tags["split"] == "dev", cid
                if fam == "non_english":
                    assert conv.tags["language"] != "en", cid
                elif expected or fam == "business_context":
                    assert conv.tags["family"] == fam, cid
                else:
                    assert conv.tags.get("near") == fam or conv.tags["family"] == "routine", cid


@pytest.mark.parametrize(("family", "cid"), _cases(ESCALATE, "escalate"))
def test_must_escalate(family: str, cid: str) -> None:
    conv = dev_set()[cid]
    first, last = live(conv.messages, conv.account, config())
    assert first is not None, _show(conv, last)
    if conv.label_category is not None:
        assert first.category == conv.label_category, _show(conv, first)
    want = conv.tags.get("urgency")
    if want == "immediate":
        assert first.urgency == "immediate", _show(conv, first)


@pytest.mark.parametrize(("family", "cid"), _cases(LEAVE_ALONE, "not"))
def test_must_not_escalate(family: str, cid: str) -> None:
    conv = dev_set()[cid]
    first, last = live(conv.messages, conv.account, config())
    assert first is None, _show(conv, first or last)


@pytest.mark.parametrize("tier", ["self-serve", "mid-market", "enterprise"])
def test_safety_is_immediate_in_every_segment(tier: str) -> None:
    for cid in ESCALATE["safety"]:
        conv = dev_set()[cid]
        account = Account(id="acct", tier=tier)  # type: ignore[arg-type]
        first, last = live(conv.messages, account, config())
        assert first is not None and first.urgency == "immediate", _show(conv, first or last)


def test_business_context_tips_a_mild_problem_only_for_the_account_that_matters() -> None:
    """The same words escalate (queued) for the enterprise account and not for a self-serve one."""
    conv = dev_set()["turns-business_context-001"]
    twin = dev_set()["turns-business_context-002"]
    assert [m.text for m in conv.messages] == [m.text for m in twin.messages]
    assert (
        conv.account.tier == "enterprise" and conv.account.mrr == 80000 and twin.account.tier == "self-serve"
    )
    first, _ = live(conv.messages, conv.account, config())
    assert first is not None and first.urgency == "queued"
    alone, _ = live(twin.messages, twin.account, config())
    assert alone is None


# Floors for the whole dev split, set a little under what the engine measured when these tests landed
# (docs/quality.md has the figures): a real regression fails here, noise from one changed example does not.
# Measured with model baton-nlu-2026.12.3 and the label triggers on: recall 243/253 = 96.0 %, false
# escalations 5/169 = 3.0 %, tricky 5/79 = 6.3 % (2026.12.2: 85.0 %, 4.1 %, 6.3 %). Issue 7's targets (>= 90 %, <= 3 %, <= 10 %) are NOT
# met yet (docs/quality.md): the floor and the ceilings sit just outside what is measured, so a real
# regression (or a trigger that floods routine traffic) fails here; tighten them toward the targets as the
# engine improves, never loosen them to land a change.
DEV_RECALL_FLOOR = 0.93  # share of must-escalate conversations escalated
DEV_FALSE_CEILING = 0.04  # share of must-not conversations escalated (target 0.03)
DEV_TRICKY_CEILING = 0.08  # share of tricky routine conversations escalated (target 0.10)


def test_the_dev_split_stays_above_its_floors() -> None:
    pos = neg = tricky = 0
    hit = false = false_tricky = 0
    for conv in dev_set().values():
        first, _ = live(conv.messages, conv.account, config())
        if conv.label_escalate:
            pos += 1
            hit += first is not None
        else:
            neg += 1
            false += first is not None
            if conv.tags["family"] == "tricky_routine":
                tricky += 1
                false_tricky += first is not None
    assert pos > 200 and neg > 150 and tricky > 60
    assert hit / pos >= DEV_RECALL_FLOOR, f"recall {hit}/{pos}"
    assert false / neg <= DEV_FALSE_CEILING, f"false escalations {false}/{neg}"
    assert false_tricky / tricky <= DEV_TRICKY_CEILING, f"tricky routine {false_tricky}/{tricky}"
