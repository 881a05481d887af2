"""Business context: the account was created within the last `days` days."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.model import Account
from bot.domain.triggers.detectors.base import Detector, to_utc
from bot.domain.triggers.detectors.high_value import RAISE, SHIFT
from bot.domain.triggers.spec import DetectorKind, Family, TriggerSpec
from bot.domain.triggers.values import Param, ParamKind


class NewAccount(Detector):
    kind = DetectorKind.NEW_ACCOUNT
    family = Family.BUSINESS
    business = True
    params = {"days": Param(ParamKind.INT, 1, 3650), "shift": SHIFT, "raise_urgency": RAISE}

    def holds(self, spec: TriggerSpec, account: Account, segment: str, now: datetime) -> str | None:
        if account.created_at is None:
            return None
        age = now - to_utc(account.created_at)
        days = spec.param("days", segment)
        if timedelta(0) <= age <= timedelta(days=days):
            return f"account created {age.days} day{'s' if age.days != 1 else ''} ago (within {days})"
        return None
