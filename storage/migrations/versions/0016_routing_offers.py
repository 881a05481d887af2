"""routing to a person: route stage and step, who an escalation is offered to until when, the assignee

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("escalations") as batch:
        batch.add_column(sa.Column("route_stage", sa.String(length=24), nullable=False, server_default=""))
        batch.add_column(sa.Column("route_step", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("offered_to", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch.add_column(sa.Column("offer_until", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("assigned_to", sa.String(length=64), nullable=False, server_default=""))
    op.create_index("ix_escalations_offer_until", "escalations", ["offer_until"])


def downgrade() -> None:
    op.drop_index("ix_escalations_offer_until", table_name="escalations")
    with op.batch_alter_table("escalations") as batch:
        for name in ("assigned_to", "offer_until", "offered_to", "route_step", "route_stage"):
            batch.drop_column(name)
