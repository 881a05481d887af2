"""sweep heartbeats: each process records when its last sweep ran (/readyz, /metrics)

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sweep_heartbeats",
        sa.Column("worker", sa.String(length=200), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("worker"),
    )
    op.create_index("ix_sweep_heartbeats_at", "sweep_heartbeats", ["at"])


def downgrade() -> None:
    op.drop_index("ix_sweep_heartbeats_at", table_name="sweep_heartbeats")
    op.drop_table("sweep_heartbeats")
