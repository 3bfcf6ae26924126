"""sentence vectors of contributions, kept so each text is embedded once (services.semantics)

`contributionvector` is a cache: one row per contribution, valid for the model and exact text its digest
covers, deleted with its contribution (ON DELETE CASCADE). Only a new table: `contribution` and its rollup
triggers are untouched.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from models.base import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contributionvector",
        sa.Column("contribution_id", sa.Integer(), nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["contribution_id"], ["contribution.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("contribution_id"),
    )


def downgrade() -> None:
    op.drop_table("contributionvector")
