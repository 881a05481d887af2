"""reports: the opening trigger, when the customer started asking, "was a human needed?", indexes

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("primary_trigger", sa.String(length=64), server_default="", nullable=False))
        batch_op.add_column(sa.Column("first_customer_at", storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("needed", sa.String(length=8), server_default="", nullable=False))
        batch_op.add_column(sa.Column("needed_reason", sa.Text(), server_default="", nullable=False))
        batch_op.create_index("ix_escalations_opened", ["opened_at"], unique=False)
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversations_last_message_at"), ["last_message_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversations_last_message_at"))
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_index("ix_escalations_opened")
        batch_op.drop_column("needed_reason")
        batch_op.drop_column("needed")
        batch_op.drop_column("first_customer_at")
        batch_op.drop_column("primary_trigger")
