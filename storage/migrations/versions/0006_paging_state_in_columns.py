"""paging state the flows decide on lives in columns, not in the timeline's JSON

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("page_key", sa.String(length=200), server_default="", nullable=False))
        batch_op.add_column(sa.Column("paged_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("chain_page_requested", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("after_hours_page_requested", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    # Backfill from the timeline, oldest event first, as the flows used to read it.
    bind = op.get_bind()
    timeline = sa.table(
        "escalation_timeline",
        sa.column("id", sa.Integer),
        sa.column("escalation_id", sa.Integer),
        sa.column("at", UTCDateTime(timezone=True)),
        sa.column("kind", sa.String),
        sa.column("detail", sa.JSON),
    )
    escalations = sa.table(
        "escalations",
        sa.column("id", sa.Integer),
        sa.column("page_key", sa.String),
        sa.column("paged_at", UTCDateTime(timezone=True)),
        sa.column("chain_page_requested", sa.Boolean),
        sa.column("after_hours_page_requested", sa.Boolean),
    )
    rows = bind.execute(
        sa.select(timeline.c.escalation_id, timeline.c.at, timeline.c.kind, timeline.c.detail)
        .where(timeline.c.kind.in_(["paged", "page_requested"]))
        .order_by(timeline.c.id)
    ).all()
    state: dict[int, dict[str, Any]] = {}
    for esc_id, at, kind, detail in rows:
        values = state.setdefault(esc_id, {})
        detail = detail or {}
        if kind == "paged":
            values.setdefault("paged_at", at)
            if detail.get("dedup_key"):
                values["page_key"] = str(detail["dedup_key"])
        elif detail.get("after_hours"):
            values["after_hours_page_requested"] = True
        else:
            values["chain_page_requested"] = True
    for esc_id, values in state.items():
        bind.execute(sa.update(escalations).where(escalations.c.id == esc_id).values(**values))


def downgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_column("after_hours_page_requested")
        batch_op.drop_column("chain_page_requested")
        batch_op.drop_column("paged_at")
        batch_op.drop_column("page_key")
