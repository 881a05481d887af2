"""escalations.pickup_breaches, escalations.next_reply_breaches: how many times each SLA target was
breached (a released escalation can breach pickup again, every customer message after a reply starts
a next-reply target), for the reports' breach counts; in the covering report index. Escalations from
before it count their first breach (breached_by), the one that was kept.

Revision ID: 0022
Revises: 0021
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
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
)
ADDED = ("pickup_breaches", "next_reply_breaches")


def upgrade() -> None:
    with op.batch_alter_table("escalations") as batch:
        for name in ADDED:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
    op.execute(
        "UPDATE escalations SET pickup_breaches = 1 WHERE breached_at IS NOT NULL AND breached_by = 'pickup'"
    )
    op.execute(
        "UPDATE escalations SET next_reply_breaches = 1"
        " WHERE breached_at IS NOT NULL AND breached_by = 'next_reply'"
    )
    op.drop_index("ix_escalations_report", table_name="escalations")
    op.create_index("ix_escalations_report", "escalations", [*BEFORE, *ADDED])


def downgrade() -> None:
    op.drop_index("ix_escalations_report", table_name="escalations")
    op.create_index("ix_escalations_report", "escalations", list(BEFORE))
    with op.batch_alter_table("escalations") as batch:
        for name in reversed(ADDED):
            batch.drop_column(name)
