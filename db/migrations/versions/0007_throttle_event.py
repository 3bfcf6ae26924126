"""throttle events kept in the store

The throttles that protect anonymous use (new passports and writes per network address, wrong passport
restore codes per browser session, per address and overall) count their events in this table, so that every
app process and replica sees the same windows; a window kept in one process's memory let an attacker spread
over replicas or restarts. `key` is a keyed hash of the network address (never the address itself) or a
random browser-session id; the rows are deleted once older than the longest window (services.throttle).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 15:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from models.base import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "throttleevent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_throttleevent_scope_key_at", "throttleevent", ["scope", "key", "created_at"])
    op.create_index("ix_throttleevent_created_at", "throttleevent", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_throttleevent_created_at", table_name="throttleevent")
    op.drop_index("ix_throttleevent_scope_key_at", table_name="throttleevent")
    op.drop_table("throttleevent")
