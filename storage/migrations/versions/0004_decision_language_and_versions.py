"""escalations record the customer's language and the model and policy versions that decided them

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), server_default="und", nullable=False))
        batch_op.add_column(sa.Column("model_version", sa.String(length=64), server_default="", nullable=False))
        batch_op.add_column(sa.Column("policy_version", sa.String(length=64), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_column("policy_version")
        batch_op.drop_column("model_version")
        batch_op.drop_column("language")
