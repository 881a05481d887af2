"""reports: the covering index also holds csat_asked_at (the report's CSAT response rate counts
surveys sent), so the report still reads the index alone

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
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
)


def upgrade() -> None:
    op.drop_index("ix_escalations_report", table_name="escalations")
    op.create_index("ix_escalations_report", "escalations", [*BEFORE, "csat_asked_at"])


def downgrade() -> None:
    op.drop_index("ix_escalations_report", table_name="escalations")
    op.create_index("ix_escalations_report", "escalations", list(BEFORE))
