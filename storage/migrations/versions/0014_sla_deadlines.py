"""SLA deadlines: the running target, its warning and breach (indexed for the sweep and reports), the
customer's keep-alive and the repeat after the chain's last step

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIMES = (
    "sla_due_at",
    "sla_warn_at",
    "sla_check_at",
    "breached_at",
    "last_human_reply_at",
    "keepalive_at",
    "overtime_at",
)
_INDEXED = ("sla_check_at", "breached_at", "keepalive_at", "overtime_at")


def upgrade() -> None:
    with op.batch_alter_table("escalations") as batch:
        batch.add_column(sa.Column("sla_target", sa.String(length=16), nullable=False, server_default=""))
        batch.add_column(sa.Column("breached_by", sa.String(length=16), nullable=False, server_default=""))
        batch.add_column(sa.Column("overtime_rounds", sa.Integer(), nullable=False, server_default="0"))
        for name in _TIMES:
            batch.add_column(sa.Column(name, UTCDateTime(timezone=True), nullable=True))
    for name in _INDEXED:
        op.create_index(f"ix_escalations_{name}", "escalations", [name])


def downgrade() -> None:
    for name in _INDEXED:
        op.drop_index(f"ix_escalations_{name}", table_name="escalations")
    with op.batch_alter_table("escalations") as batch:
        for name in (*_TIMES, "overtime_rounds", "breached_by", "sla_target"):
            batch.drop_column(name)
