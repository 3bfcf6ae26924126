"""the category of a rejection, the one reason a contribution's author is told (services.contributions.followup)

Staff's free-text `rejection_reason` is a note for the team; `rejection_category` (models.RejectionCategory,
None for a contribution not rejected or rejected before this migration) is what the author reads. One nullable
column added to `contribution` (ALTER TABLE ADD COLUMN): no rebuild, its rollup triggers are untouched. The
column is no counted column of the rollup (migration 0004), so its triggers never fire on it.

Down: a plain DROP COLUMN too (SQLite ≥ 3.35 drops a column in place, as PostgreSQL does; the column has no
index, constraint or trigger that would refuse it), never a batch rebuild, which would drop the triggers.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "contribution",
        sa.Column("rejection_category", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("contribution", "rejection_category")
