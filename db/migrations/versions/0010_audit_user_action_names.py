"""the audit trail's staff-account actions follow the "<entity>.<verb>" naming rule

services.audit.audit names every action "<entity>.<verb>" in lower case ("orientation.move"); the three
staff-account actions were the exception. Stored events are renamed so the trail reads one way:
"create_user" → "user.create", "update_user" → "user.update", "change_password" → "user.password"
(entity_type stays "staffuser"). Downgrade renames them back.

Only UPDATEs of `auditevent` rows: no table is rebuilt (so no batch mode, and `contribution`'s rollup
triggers are untouched).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RENAMED = {"create_user": "user.create", "update_user": "user.update", "change_password": "user.password"}
RENAME = sa.text("UPDATE auditevent SET action = :new WHERE action = :old AND entity_type = 'staffuser'")


def upgrade() -> None:
    bind = op.get_bind()
    for old, new in RENAMED.items():
        bind.execute(RENAME, {"old": old, "new": new})


def downgrade() -> None:
    bind = op.get_bind()
    for old, new in RENAMED.items():
        bind.execute(RENAME, {"old": new, "new": old})
