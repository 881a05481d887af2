"""End to end: the customer hears Baton in their language, a safety case gets its own careful words, and
the AI agent is told when to stand back and when to answer again (Slack message metadata, an optional
signed webhook through the outbox), and is flagged when it keeps answering.

Through the real app: signed Slack events and clicks into Bolt, FakeSlack receiving the calls, a local
AI agent receiving the webhooks. Runs on SQLite, and on PostgreSQL when DATABASE_URL points at one.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from bot.cards import Action
from bot.clock import VirtualClock
from bot.policy import load_policy_text
from bot.sandbox.ai_agent import AiAgentReceiver
from bot.sandbox.world import World
from storage.db import session_scope
from storage.models import Escalation
from tests.e2e.test_sla_chain import AGENT, AGENTS, HUMAN, POLICIES, QUEUED, T0, current, events, kinds

SECRET = "handoff-secret"


def make(world_factory, name: str = "always_open", start: datetime = T0, extra: str = "", **kw: Any) -> World:
    path = POLICIES / f"{name}.yaml"
    policy = load_policy_text(path.read_text(encoding="utf-8") + extra, source=str(path))
    return world_factory(policy=policy, agents=AGENTS, clock=VirtualClock(start), **kw)


def open_in(
    w: World, text: str, *, language: str, category: str = "", account: str = "acme"
) -> tuple[str, Escalation]:
    """The customer writes; the escalation is recorded as in `language` (and `category`) before Slack
    takes Baton's first messages (they fail once and are retried by the outbox), as the engine will
    record the language it detects."""
    w.slack.fail_next("chat.postMessage", "internal_error", count=2)  # the card, the transition
    cust = w.customers[account]
    first = w.driver.user_says(cust.channel, cust.user, text)
    assert first.status == 200 and first.ts
    w.settle()
    with session_scope(w.deps.db) as session:
        esc = session.exec(select(Escalation).order_by(col(Escalation.id).desc())).first()
        assert esc is not None
        esc.language = language
        if category:
            esc.category = category
            esc.triggers = [{**esc.triggers[0], "id": f"model_{category}", "category": category}]
        session.add(esc)
    w.advance_to(w.clock.now() + timedelta(seconds=30))
    return first.ts, current(w, esc.id)


def baton_in_thread(w: World, ts: str, account: str = "acme") -> list[dict[str, Any]]:
    channel = w.customers[account].channel
    return [m for m in w.slack.thread(channel, ts) if m.get("bot_id") == w.slack.bot_id]


class handoff:  # noqa: N801 - reads as the expectation it is
    """Matches Baton's handoff metadata: event_type baton_handoff, the escalation and the state (the
    payload's `effect` is Baton's own delivery id, which the contract tells agents to ignore)."""

    def __init__(self, esc: Escalation, state: str) -> None:
        self.esc_id, self.state = esc.id, state

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, dict) or other.get("event_type") != "baton_handoff":
            return False
        payload = other.get("event_payload") or {}
        return payload.get("escalation_id") == self.esc_id and payload.get("state") == self.state

    def __repr__(self) -> str:
        return f"baton_handoff(escalation_id={self.esc_id}, state={self.state})"


def card_text(w: World, esc: Escalation) -> str:
    msg = w.slack.message(esc.card_channel, esc.card_ts)
    assert msg is not None
    return json.dumps(msg["blocks"], ensure_ascii=False)


def click(w: World, esc: Escalation, action: Action) -> None:
    assert w.driver.click(AGENT, esc.card_ts, esc.card_channel, action.value).status_code == 200
    w.settle()


def resolve(w: World, esc: Escalation) -> None:
    click(w, esc, Action.RESOLVE)
    view = w.slack.views[-1]
    assert w.driver.submit_view(AGENT, view["id"], {"resolution": {"note": "Sorted."}}).status_code == 200
    w.settle()


# ---------------------------------------------------------------- the customer's language


def test_a_spanish_customer_hears_spanish_and_the_ai_is_told_to_stand_back_then_resume(world_factory):
    w = make(world_factory)
    ts, esc = open_in(w, HUMAN, language="es")
    [transition] = baton_in_thread(w, ts)
    assert transition["text"].startswith("Has pedido hablar con una persona. Voy a pasarte con una persona")
    assert "Tiempo de espera estimado: unos 15 minutos." in transition["text"]
    assert transition["metadata"] == handoff(esc, "human")
    assert "Customer writes in *Spanish*" in card_text(w, esc)

    w.advance_to(esc.opened_at + timedelta(minutes=5, seconds=30))  # the first reminder
    still = baton_in_thread(w, ts)[-1]
    assert still["text"].startswith("Gracias por tu paciencia") and still["metadata"] == handoff(esc, "human")

    click(w, esc, Action.CLAIM)
    joined = baton_in_thread(w, ts)[-1]
    assert joined["text"] == "alice, del equipo support, se ha unido y ya está leyendo la conversación."
    assert joined["metadata"] == handoff(esc, "human")

    resolve(w, esc)
    back = baton_in_thread(w, ts)[-1]
    assert back["text"].startswith("Hemos marcado esta consulta como resuelta.")
    assert back["metadata"] == handoff(esc, "ai")
    assert kinds(w, esc.id).count("customer_told_resolved") == 1
    # the AI agent reads the thread back: the last handoff state is "ai"
    states = [
        m["metadata"]["event_payload"]["state"]
        for m in w.deps.slack.conversations_replies(
            channel=w.customers["acme"].channel, ts=ts, include_all_metadata=True
        )["messages"]
        if m.get("metadata", {}).get("event_type") == "baton_handoff"
    ]
    assert states == ["human", "human", "human", "ai"]


MODEL_ON = "triggers:\n  model_human_request: {enabled: true}\n"


@pytest.mark.parametrize(
    ("text", "language", "opening"),
    [
        ("¿Me pasan con alguien de su equipo, por favor? Quiero hablar con una persona.", "es", "Voy a pasarte"),
        ("Ich möchte bitte mit einem Mitarbeiter sprechen, nicht mit einem Bot.", "de", "Ich hole eine Person"),
        ("Je voudrais parler à un conseiller, s'il vous plaît.", "fr", "Je fais appel à une personne"),
    ],
)
def test_the_language_the_model_reads_is_the_language_baton_writes(world_factory, text, language, opening):
    """No seam: the judgment model (label triggers switched on in the policy) reads the customer's
    language, the escalation records it, and the transition is written in it."""
    w = make(world_factory, extra=MODEL_ON)
    cust = w.customers["acme"]
    first = w.driver.user_says(cust.channel, cust.user, text)
    w.settle()
    esc = current(w)
    assert esc.language == language
    [told] = baton_in_thread(w, first.ts)
    assert opening in told["text"] and told["metadata"] == handoff(esc, "human")


def test_german_after_hours_names_the_opening_in_german(world_factory):
    opened = datetime(2026, 10, 30, 22, 0, tzinfo=UTC)  # Friday 18:00 EDT, back Monday 09:00 EST
    w = make(world_factory, "new_york", opened)
    ts, esc = open_in(w, QUEUED, language="de", account="initech")
    assert esc.urgency == "queued"
    [told] = baton_in_thread(w, ts, "initech")
    assert "an eine Person aus unserer Kundenbetreuung übergeben" in told["text"]
    assert "es ist am Montag um 09:00 Uhr (EST) wieder da" in told["text"]
    assert told["metadata"] == handoff(esc, "human")


def test_a_policy_overrides_the_spanish_transition_only(world_factory):
    extra = (
        "customer_messages:\n"
        "  es:\n"
        '    transition: "{reason} Te atiende {team} en {wait}. ¡Gracias por escribirnos!"\n'
    )
    w = make(world_factory, extra=extra)
    ts, _ = open_in(w, HUMAN, language="es")
    [told] = baton_in_thread(w, ts)
    assert told["text"] == (
        "Has pedido hablar con una persona. Te atiende nuestro equipo técnico en unos 15 minutos."
        " ¡Gracias por escribirnos!"
    )
    ts, _ = open_in(w, HUMAN, language="und", account="initech")
    assert baton_in_thread(w, ts, "initech")[0]["text"].startswith("You asked to talk to a person.")


def test_safety_gets_its_own_words_no_wait_and_the_policys_emergency_text(world_factory):
    extra = (
        "safety:\n  emergency_text:\n    pt: 'Se houver risco de vida, ligue para o 192 (SAMU) ou o 190.'\n"
    )
    w = make(world_factory, extra=extra)
    ts, esc = open_in(w, HUMAN, language="pt", category="safety")
    [told] = baton_in_thread(w, ts)
    assert told["text"] == (
        "Sinto muito que você esteja passando por isso. Estou chamando agora mesmo uma pessoa da nossa"
        " equipe; ela terá toda esta conversa, então você não vai precisar explicar nada de novo."
        " Se houver risco de vida, ligue para o 192 (SAMU) ou o 190."
    )
    assert "espera" not in told["text"] and told["metadata"] == handoff(esc, "human")
    w.advance_to(esc.opened_at + timedelta(minutes=5, seconds=30))
    still = baton_in_thread(w, ts)[-1]
    assert still["text"].startswith("Não esquecemos de você") and "minutos" not in still["text"]


def test_safety_default_emergency_text_invents_no_number(world_factory):
    w = make(world_factory)
    ts, _ = open_in(w, HUMAN, language="und", category="safety")
    [told] = baton_in_thread(w, ts)
    assert told["text"].endswith(
        "If you or someone else is in immediate danger, please contact your local emergency services."
    )
    assert "wait" not in told["text"].lower() and not any(c.isdigit() for c in told["text"])


# ---------------------------------------------------------------- the AI agent


def test_the_ai_answering_after_the_handoff_is_flagged_on_the_card_and_the_timeline(world_factory):
    w = make(world_factory)
    cust = w.customers["acme"]
    first = w.driver.user_says(cust.channel, cust.user, "Our export keeps failing")
    w.driver.user_says(cust.channel, w.ai_user, "Try exporting again in a minute.", thread_ts=first.ts)
    w.settle()
    w.clock.advance(timedelta(seconds=5))
    w.driver.user_says(cust.channel, cust.user, HUMAN, thread_ts=first.ts)
    w.settle()
    esc = current(w)
    assert esc.customer_notified_at is not None
    assert "kept answering" not in card_text(w, esc), "an AI answer before the handoff is not flagged"

    w.clock.advance(timedelta(seconds=5))
    late = w.driver.user_says(cust.channel, w.ai_user, "I can help you with that export!", thread_ts=first.ts)
    w.settle()
    [flag] = events(w, esc.id, "ai_after_handoff")
    assert flag.detail["note"] == "the AI kept answering after the handoff"
    assert "The AI kept answering after the handoff* (1 message)" in card_text(w, esc)
    w.driver.redeliver(late.envelope)  # a duplicate delivery of the same message is not flagged twice
    w.settle()
    assert len(events(w, esc.id, "ai_after_handoff")) == 1

    click(w, esc, Action.CLAIM)
    resolve(w, esc)
    w.clock.advance(timedelta(seconds=5))
    w.driver.user_says(cust.channel, w.ai_user, "Anything else I can do?", thread_ts=first.ts)
    w.settle()
    assert len(events(w, esc.id, "ai_after_handoff")) == 1, "after the handback the AI may answer"
    assert "(1 message)" in card_text(w, esc)


@pytest.fixture
def agent():
    receiver = AiAgentReceiver(SECRET, VirtualClock(T0))
    receiver.start()
    yield receiver
    receiver.stop()


def test_the_webhook_is_signed_and_retried_until_the_agent_accepts(world_factory, agent):
    w = make(world_factory, ai_webhook=(agent.url, SECRET))
    agent.clock = w.clock
    agent.fail_next(503, count=2)
    cust = w.customers["acme"]
    first = w.driver.user_says(cust.channel, cust.user, HUMAN)
    w.settle()
    esc = current(w)
    assert [r.status for r in agent.received] == [503]
    w.advance_to(w.clock.now() + timedelta(minutes=1))
    assert [r.status for r in agent.received] == [503, 503, 200]
    assert all(r.verified for r in agent.received)
    [human] = agent.accepted()
    assert human == {
        "type": "baton_handoff",
        "escalation_id": esc.id,
        "state": "human",
        "channel": cust.channel,
        "thread_ts": first.ts,
        "occurred_at": esc.opened_at.isoformat(),
        "language": "en",  # the judgment model read the customer's English
        "category": esc.category,
        "urgency": "immediate",
    }
    assert agent.received[-1].headers["x-baton-delivery"] == f"baton-{esc.id}-human"
    assert len(events(w, esc.id, "effect_failed")) == 2

    click(w, esc, Action.CLAIM)
    resolve(w, esc)
    assert [b["state"] for b in agent.accepted()] == ["human", "ai"]
    w.advance_to(w.clock.now() + timedelta(minutes=30))
    assert len(agent.received) == 4, "delivered webhooks are not sent again"


def test_a_refused_webhook_is_recorded_not_retried_and_a_stale_one_not_sent(world_factory, agent):
    w = make(world_factory, ai_webhook=(agent.url, "a-wrong-secret"))
    agent.clock = w.clock
    cust = w.customers["acme"]
    w.driver.user_says(cust.channel, cust.user, HUMAN)
    w.settle()
    esc = current(w)
    assert [(r.verified, r.status) for r in agent.received] == [(False, 401)]
    [refused] = events(w, esc.id, "ai_webhook_refused")
    assert refused.detail["detail"] == "HTTP 401"
    w.advance_to(w.clock.now() + timedelta(minutes=30))
    assert len(agent.received) == 1
