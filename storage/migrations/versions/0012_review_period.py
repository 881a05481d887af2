"""review posts keep the period they review (label, start, end), so a verdict re-renders the post

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("review_posts") as batch:
        batch.add_column(sa.Column("label", sa.String(length=64), nullable=False, server_default=""))
        batch.add_column(sa.Column("start", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("end", UTCDateTime(timezone=True), nullable=True))
        batch.create_unique_constraint("uq_review_posts_period", ["period"])


def downgrade() -> None:
    with op.batch_alter_table("review_posts") as batch:
        batch.drop_constraint("uq_review_posts_period", type_="unique")
        batch.drop_column("end")
        batch.drop_column("start")
        batch.drop_column("label")
