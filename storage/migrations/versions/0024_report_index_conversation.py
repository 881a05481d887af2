"""escalations.conversation_id in the covering report index: the escalation rate counts escalated
conversations (distinct), read from the index like the report's other figures.

Revision ID: 0024
Revises: 0023
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = (
    "opened_at",
    "team",
    "urgency",
    "tier",
    "category",
    "language",
    "primary_trigger",
    "needed",
    "claimed_at",
    "resolved_at",
    "first_customer_at",
    "tte_s",
    "pickup_s",
    "pickup_business_s",
    "handle_s",
    "csat",
    "csat_asked_at",
    "high_value",
    "pickup_breaches",
    "next_reply_breaches",
)


def upgrade() -> None:
    op.drop_index("ix_escalations_report", table_name="escalations")
    op.create_index("ix_escalations_report", "escalations", [*BEFORE, "conversation_id"])


def downgrade() -> None:
    op.drop_index("ix_escalations_report", table_name="escalations")
    op.create_index("ix_escalations_report", "escalations", list(BEFORE))
