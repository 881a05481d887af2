"""The Bitext customer-service sample (CDLA-Sharing 1.0) as an outside measure of the model.

It is read from where it lies (never copied into the repo). Intents map onto labels only where the
mapping is unambiguous: `contact_human_agent` is a request for a person, and the routine intents are
routine; the intents whose escalation is the policy's call (complaints, refunds, payment issues,
account deletion, "contact customer service") are left out.
"""

from __future__ import annotations

import csv
from pathlib import Path

from bot.domain.nlu.api import Label
from bot.training.data import Example

HUMAN = "contact_human_agent"
ROUTINE_INTENTS = frozenset(
    {
        "track_order",
        "create_account",
        "get_invoice",
        "check_invoice",
        "recover_password",
        "change_order",
        "review",
        "check_refund_policy",
        "check_cancellation_fee",
        "delivery_options",
        "delivery_period",
        "track_refund",
        "switch_account",
        "check_payment_methods",
        "newsletter_subscription",
        "edit_account",
        "registration_problems",
        "change_shipping_address",
        "set_up_shipping_address",
        "place_order",
        "cancel_order",
    }
)


def load(path: Path, *, held_out: bool | None = None) -> list[Example]:
    """Bitext rows as examples. held_out: None = every row; True/False = one half (by row number)."""
    out: list[Example] = []
    with path.open(encoding="utf-8-sig", newline="") as f:
        for i, row in enumerate(csv.DictReader(f)):
            if held_out is not None and (i % 2 == 1) != held_out:
                continue
            intent = row["intent"]
            if intent == HUMAN:
                labels = frozenset({Label.HUMAN_REQUEST})
            elif intent in ROUTINE_INTENTS:
                labels = frozenset({Label.ROUTINE})
            else:
                continue
            flags = row.get("flags", "")
            out.append(Example(row["utterance"], labels, "en", f"bitext:{i}:{intent}:{flags}", "bitext"))
    return out
