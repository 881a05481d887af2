"""summaries: the AI agent's own summary on its message, and an LLM's on the escalation

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("ai_summary", sa.JSON(), nullable=True))
    with op.batch_alter_table("escalations") as batch:
        batch.add_column(sa.Column("llm_summary", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("escalations") as batch:
        batch.drop_column("llm_summary")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("ai_summary")
