"""Business context: the account was escalated within `hours` hours (route to who handled it)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.model import Account
from bot.domain.triggers.detectors.base import Detector, to_utc
from bot.domain.triggers.detectors.high_value import RAISE, SHIFT
from bot.domain.triggers.spec import DetectorKind, Family, TriggerSpec
from bot.domain.triggers.values import Param, ParamKind


class CoolingPeriod(Detector):
    kind = DetectorKind.COOLING_PERIOD
    family = Family.BUSINESS
    business = True
    params = {
        "hours": Param(ParamKind.FLOAT, 0, 24 * 365),
        "shift": SHIFT,
        "raise_urgency": RAISE,
        "route_to_last_handler": Param(ParamKind.BOOL),
    }

    def holds(self, spec: TriggerSpec, account: Account, segment: str, now: datetime) -> str | None:
        if account.last_escalated_at is None:
            return None
        ago = now - to_utc(account.last_escalated_at)
        hours = spec.param("hours", segment)
        if timedelta(0) <= ago <= timedelta(hours=hours):
            who = f", handled by {account.last_handler}" if account.last_handler else ""
            return f"last escalated {ago.total_seconds() / 3600:.1f} h ago{who}"
        return None
