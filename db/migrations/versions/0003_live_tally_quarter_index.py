"""live tally quarter-hour index (SQLite)

The over-time tally groups by quarter hour. On SQLite, an index on the same text expression as
services/tallies.py (models.contribution.QUARTER_KEY_SQL) lets the GROUP BY read rows in order instead
of sorting every contribution (about 5x faster at a million rows). PostgreSQL aggregates by hashing and
does not get it. Alembic does not compare expression indexes, hence this hand-written migration.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 08:05:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept here as written at the time: a migration must not change when the model moves on.
QUARTER_KEY_SQL = "(substr(created_at, 1, 14) || (CAST(substr(created_at, 15, 2) AS INTEGER) / 15))"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_contribution_tally_quarter ON contribution "
            f"(theme_id, {QUARTER_KEY_SQL}, status, source, created_at)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP INDEX IF EXISTS ix_contribution_tally_quarter")
