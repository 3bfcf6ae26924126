"""a covering index for a theme's published data version (services.suggestion_indexes.data_version)

Every suggestion while typing first reads the theme's published count, highest id and latest change, to know
whether its shared index is still current. Without this index SQLite reads each published row of the theme
(15,5 ms at 10 000 published); with it, the index alone (1,8 ms). Only an index: `contribution` and its rollup
triggers are untouched.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 11:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_contribution_theme_status_updated", "contribution", ["theme_id", "status", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_contribution_theme_status_updated", table_name="contribution")
