"""Business context: the account renews within `days` days."""

from __future__ import annotations

from datetime import datetime

from bot.domain.model import Account
from bot.domain.triggers.detectors.base import Detector
from bot.domain.triggers.detectors.high_value import RAISE, SHIFT
from bot.domain.triggers.spec import DetectorKind, Family, TriggerSpec
from bot.domain.triggers.values import Param, ParamKind


class RenewalSoon(Detector):
    kind = DetectorKind.RENEWAL_SOON
    family = Family.BUSINESS
    business = True
    params = {"days": Param(ParamKind.INT, 0, 3650), "shift": SHIFT, "raise_urgency": RAISE}

    def holds(self, spec: TriggerSpec, account: Account, segment: str, now: datetime) -> str | None:
        if account.renewal_date is None:
            return None
        left = (account.renewal_date - now.date()).days
        days = spec.param("days", segment)
        if 0 <= left <= days:
            return f"renews on {account.renewal_date.isoformat()} (in {left} day{'s' if left != 1 else ''})"
        return None
