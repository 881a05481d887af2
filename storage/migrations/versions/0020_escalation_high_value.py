"""escalations.high_value: what the policy called high value when the escalation opened (the enterprise
segment, by tier or MRR), for the report's CSAT comparison; in the covering report index. Escalations
opened before it are high value when their tier is enterprise (their MRR was not kept).

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
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
)


def upgrade() -> None:
    with op.batch_alter_table("escalations") as batch:
        batch.add_column(sa.Column("high_value", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE escalations SET high_value = (tier = 'enterprise')")
    op.drop_index("ix_escalations_report", table_name="escalations")
    op.create_index("ix_escalations_report", "escalations", [*BEFORE, "high_value"])


def downgrade() -> None:
    op.drop_index("ix_escalations_report", table_name="escalations")
    op.create_index("ix_escalations_report", "escalations", list(BEFORE))
    with op.batch_alter_table("escalations") as batch:
        batch.drop_column("high_value")
