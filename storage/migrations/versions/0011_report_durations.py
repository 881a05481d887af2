"""reports: per-escalation durations stored when they happen, and covering indexes for the report

Revision ID: 0011
Revises: 0010

The durations (time to escalation, pickup in wall-clock and business hours, handle time) let the
report aggregate plain numbers in SQL. No backfill here: the business-hours pickup needs the
policy's hours, which a migration does not have; the report fills in the durations of any
escalation of its period that lacks them, once. The report's queries then read one index each:
`ix_escalations_report` (every column they use, opened_at first) replaces `ix_escalations_opened`,
and `ix_conversations_watched` (last_message_at, created_at) replaces the last_message_at index.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DURATIONS = ("tte_s", "pickup_s", "pickup_business_s", "handle_s")
REPORT_COLUMNS = (
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
    *DURATIONS,
    "csat",
)


def upgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        for name in DURATIONS:
            batch_op.add_column(sa.Column(name, sa.Float(), nullable=True))
    op.create_index("ix_escalations_report", "escalations", list(REPORT_COLUMNS))
    op.drop_index("ix_escalations_opened", table_name="escalations")
    op.create_index("ix_conversations_watched", "conversations", ["last_message_at", "created_at"])
    op.drop_index("ix_conversations_last_message_at", table_name="conversations")


def downgrade() -> None:
    op.create_index("ix_conversations_last_message_at", "conversations", ["last_message_at"])
    op.drop_index("ix_conversations_watched", table_name="conversations")
    op.create_index("ix_escalations_opened", "escalations", ["opened_at"])
    op.drop_index("ix_escalations_report", table_name="escalations")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        for name in reversed(DURATIONS):
            batch_op.drop_column(name)
