"""feedback: CSAT and review verdicts on escalations, missed escalations, review posts, App Home viewers

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("escalations") as batch:
        batch.add_column(sa.Column("needed_by", sa.String(length=64), nullable=False, server_default=""))
        batch.add_column(sa.Column("needed_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("needed_via", sa.String(length=16), nullable=False, server_default=""))
        batch.add_column(sa.Column("csat", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("csat_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("csat_by", sa.String(length=64), nullable=False, server_default=""))
        batch.add_column(sa.Column("csat_asked_at", UTCDateTime(timezone=True), nullable=True))
    # The drift check counts conversations with a customer message per hour band.
    op.create_index("ix_messages_sent_at", "messages", ["sent_at"])
    op.create_table(
        "missed_escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("message_ts", sa.String(length=64), nullable=False),
        sa.Column("thread_ts", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.String(length=128), nullable=False, server_default=""),
        sa.Column("category", sa.String(length=32), nullable=False, server_default=""),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("text", sa.Text(), nullable=False, server_default=""),
        sa.Column("reported_by", sa.String(length=64), nullable=False),
        sa.Column("reported_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "message_ts", name="uq_missed_message"),
    )
    op.create_index("ix_missed_escalations_reported_at", "missed_escalations", ["reported_at"])
    op.create_table(
        "review_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("escalation_ids", sa.JSON(), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("ts", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "home_viewers",
        sa.Column("user", sa.String(length=64), nullable=False),
        sa.Column("opened_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user"),
    )
    op.create_index("ix_home_viewers_opened_at", "home_viewers", ["opened_at"])
    op.create_table(
        "chart_files",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("file_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
    )


def downgrade() -> None:
    op.drop_table("chart_files")
    op.drop_index("ix_home_viewers_opened_at", table_name="home_viewers")
    op.drop_table("home_viewers")
    op.drop_table("review_posts")
    op.drop_index("ix_missed_escalations_reported_at", table_name="missed_escalations")
    op.drop_table("missed_escalations")
    op.drop_index("ix_messages_sent_at", table_name="messages")
    with op.batch_alter_table("escalations") as batch:
        for column in ("csat_asked_at", "csat_by", "csat_at", "csat", "needed_via", "needed_at", "needed_by"):
            batch.drop_column(column)
