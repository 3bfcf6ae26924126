"""health probe of the store

`python manage.py health` and the `/_ess/sante` route (asgi.py) check that the store takes a write and gives it
back: each prober upserts its one row here (a random nonce and the time), commits, and reads it back from a new
session (services.health). A new small table: no existing table is touched (under SQLite, `contribution` is not
rebuilt and keeps its rollup triggers).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 14:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from models.base import UTCDateTime

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "healthprobe",
        sa.Column("probe", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("nonce", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("written_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("probe"),
    )


def downgrade() -> None:
    op.drop_table("healthprobe")
