"""Business context: the account is in the enterprise segment (by tier, or promoted by MRR)."""

from __future__ import annotations

from datetime import datetime

from bot.domain.model import Account
from bot.domain.triggers.detectors.base import Detector
from bot.domain.triggers.spec import DetectorKind, Family, TriggerSpec
from bot.domain.triggers.values import HIGH_VALUE_SEGMENT, Param, ParamKind

SHIFT = Param(ParamKind.INT, 0, 2)
RAISE = Param(ParamKind.BOOL)


class HighValue(Detector):
    kind = DetectorKind.HIGH_VALUE
    family = Family.BUSINESS
    business = True
    params = {"shift": SHIFT, "raise_urgency": RAISE}

    def holds(self, spec: TriggerSpec, account: Account, segment: str, now: datetime) -> str | None:
        if segment != HIGH_VALUE_SEGMENT:
            return None
        if account.tier == "enterprise":
            return "tier enterprise"
        if account.mrr is not None:
            return f"MRR {account.mrr:g} puts it in the enterprise segment"
        return "enterprise segment"
