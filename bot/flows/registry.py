"""The registry of outbox effect handlers: one small unit per EffectKind, handed to the runner via Deps."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from bot.flows import (
    action_effects,
    bugs,
    csat,
    drift,
    effects,
    handoff,
    home,
    notices,
    offer,
    offer_dms,
    paging,
    review,
    sla_notices,
    source_adapters,
    summaries,
    surge,
    tickets,
)
from bot.flows.outbox import EffectKind, Handler, check_registry

EFFECTS: Mapping[EffectKind, Handler] = MappingProxyType(
    {
        **effects.HANDLERS,
        **paging.HANDLERS,
        **notices.HANDLERS,
        **handoff.HANDLERS,
        **summaries.HANDLERS,
        **csat.HANDLERS,
        **review.HANDLERS,
        **drift.HANDLERS,
        **home.HANDLERS,
        **action_effects.HANDLERS,
        **sla_notices.HANDLERS,
        **offer.HANDLERS,
        **offer_dms.HANDLERS,
        **source_adapters.HANDLERS,
        **bugs.HANDLERS,
        **surge.HANDLERS,
        **tickets.HANDLERS,
    }
)
check_registry(EFFECTS)
