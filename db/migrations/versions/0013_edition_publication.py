"""what each edition makes public: when (and by whom) staff published its results and its strategy

The public results page (services/publication.py) shows nothing of an edition until staff publish its results,
and the strategy's text with its traced sources only once they publish the strategy. Four nullable columns on
`edition` (None: not public); `contribution` and its rollup triggers are untouched.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 12:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from models.base import UTCDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("results_published_at", "results_published_by", "strategy_published_at", "strategy_published_by")


def upgrade() -> None:
    # Plain ADD COLUMN (nullable): no table rebuild, on SQLite as on PostgreSQL.
    for what in ("results", "strategy"):
        op.add_column("edition", sa.Column(f"{what}_published_at", UTCDateTime(), nullable=True))
        op.add_column(
            "edition", sa.Column(f"{what}_published_by", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("edition") as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
