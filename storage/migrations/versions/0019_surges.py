"""surges: one card, one page and one reminder for many escalations of one cause

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "surges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team", sa.String(length=64), nullable=False),
        sa.Column("cause", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("card_channel", sa.String(length=64), nullable=False),
        sa.Column("card_ts", sa.String(length=64), nullable=False),
        sa.Column("remind_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("status_updates", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_surges_remind_at", "surges", ["remind_at"])
    op.create_index(
        "uq_surge_open_per_cause",
        "surges",
        ["team", "cause"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    with op.batch_alter_table("escalations") as batch:
        batch.add_column(sa.Column("cause", sa.String(length=64), nullable=False, server_default=""))
        batch.add_column(sa.Column("surge_id", sa.Integer(), nullable=True))
    op.create_index("ix_escalations_surge_id", "escalations", ["surge_id"])


def downgrade() -> None:
    op.drop_index("ix_escalations_surge_id", table_name="escalations")
    with op.batch_alter_table("escalations") as batch:
        batch.drop_column("surge_id")
        batch.drop_column("cause")
    op.drop_index("uq_surge_open_per_cause", table_name="surges")
    op.drop_index("ix_surges_remind_at", table_name="surges")
    op.drop_table("surges")
