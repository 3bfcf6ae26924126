"""login attempts from trusted devices

A browser that logged in to an account before holds a signed device cookie (services.auth); its login
attempts are throttled in a window of their own, so that an attacker guessing an account's password locks
out other browsers only, never the owner's. The attempt records which trusted device it came from (NULL
for any other browser), indexed like the per-account and per-session windows.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("loginattempt") as batch:
        batch.add_column(sa.Column("device", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    op.create_index("ix_loginattempt_device_at", "loginattempt", ["device", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_loginattempt_device_at", table_name="loginattempt")
    with op.batch_alter_table("loginattempt") as batch:
        batch.drop_column("device")
