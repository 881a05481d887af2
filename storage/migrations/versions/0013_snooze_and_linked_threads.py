"""snooze: a queued escalation put aside until a time (status 'snoozed'; the sweep wakes it); a customer's
new thread linked to their open escalation

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("snoozed_until", storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("snoozed_by", sa.String(length=64), server_default="", nullable=False))
        batch_op.create_index(batch_op.f("ix_escalations_snoozed_until"), ["snoozed_until"], unique=False)
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("linked_escalation_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_conversations_linked_escalation_id"), ["linked_escalation_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversations_linked_escalation_id"))
        batch_op.drop_column("linked_escalation_id")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalations_snoozed_until"))
        batch_op.drop_column("snoozed_by")
        batch_op.drop_column("snoozed_until")
