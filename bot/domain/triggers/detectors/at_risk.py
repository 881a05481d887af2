"""Business context: the CRM (or the policy) flags the account at risk."""

from __future__ import annotations

from datetime import datetime

from bot.domain.model import Account
from bot.domain.triggers.detectors.base import Detector
from bot.domain.triggers.detectors.high_value import RAISE, SHIFT
from bot.domain.triggers.spec import DetectorKind, Family, TriggerSpec


class AtRisk(Detector):
    kind = DetectorKind.AT_RISK
    family = Family.BUSINESS
    business = True
    params = {"shift": SHIFT, "raise_urgency": RAISE}

    def holds(self, spec: TriggerSpec, account: Account, segment: str, now: datetime) -> str | None:
        return "the account is flagged at risk" if account.at_risk else None
