"""conference editions: every piece of reference data and every passport belongs to one

The store held one conference. It now holds editions (models.edition.Edition): themes, orientations, stands,
featured projects, key figures, support schemes, questionnaires and participants' passports gain an
`edition_id`, and their codes are unique within an edition instead of across the store (two editions may both
have a stand « S01 »). Contributions, visits, groups, answers and drafts hang off those rows (a contribution's
theme, a visit's stand, an answer's questionnaire), so they follow without being rebuilt: `contribution` and
its rollup triggers are left untouched.

A store that already holds data becomes edition 1, whose settings are read from the shipped pack of the
conference that store was made for (assets/editions/pays-de-la-loire-2016.yaml); staff can edit them in the
app afterwards. A fresh store gets its editions from the packs loaded at start-up. Départements become the
national list: `in_region` gives way to the Région's official code.

On SQLite, rebuilding a table others refer to needs the foreign keys off while it runs (db/migrations/env.py
turns them off around every migration and checks them all before committing).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 19:00:00
"""

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlmodel
import yaml
from alembic import op

from models.base import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROOT = Path(__file__).resolve().parents[3]
FIRST_PACK = ROOT / "assets" / "editions" / "pays-de-la-loire-2016.yaml"
NATIONAL_LIST = ROOT / "assets" / "reference" / "france_departements.yaml"
# table → the column unique within an edition (None: no unique code)
SCOPED: dict[str, str | None] = {
    "theme": "code",
    "orientation": "code",
    "stand": "code",
    "ptce": "code",
    "supportscheme": "code",
    "keyfigure": "code",
    "questionnaire": "slug",
    "participant": None,
}
EDITION_SETTINGS = (
    "slug",
    "name",
    "region_code",
    "city",
    "venue",
    "introduction",
    "document_context",
    "projects_label",
    "projects_intro",
    "public_base_url",
    "privacy_controller",
    "privacy_contact",
)


def _first_edition() -> dict[str, Any]:
    """Edition 1's settings, from the pack of the conference the store was made for."""
    pack = yaml.safe_load(FIRST_PACK.read_text(encoding="utf-8"))["edition"] if FIRST_PACK.exists() else {}
    row: dict[str, Any] = {key: str(pack.get(key) or "") for key in EDITION_SETTINGS}
    row["slug"] = row["slug"] or "edition-1"
    row["name"] = row["name"] or "Conférence régionale de l'ESS"
    start = pack.get("start_date")
    row["start_date"] = date.fromisoformat(str(start)) if start else datetime.now(UTC).date()
    end = pack.get("end_date")
    row["end_date"] = date.fromisoformat(str(end)) if end else None
    row["organisers"] = json.dumps(list(pack.get("organisers") or []), ensure_ascii=False)
    row["retention_months"] = int(pack.get("retention_months") or 24)
    row["status"] = "open"
    row["is_default"] = True
    now = datetime.now(UTC)
    row["created_at"] = row["updated_at"] = now
    return row


def _region_of() -> dict[str, str]:
    if not NATIONAL_LIST.exists():
        return {}
    regions = yaml.safe_load(NATIONAL_LIST.read_text(encoding="utf-8"))["regions"]
    return {str(d["code"]): str(r["code"]) for r in regions for d in r["departements"]}


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    edition = op.create_table(
        "edition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("region_code", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("city", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("venue", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("organisers", sa.JSON(), nullable=False),
        sa.Column("introduction", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("document_context", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("projects_label", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("projects_intro", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("public_base_url", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("privacy_controller", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("privacy_contact", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("retention_months", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )

    holds_data = any(bind.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first() for table in SCOPED)
    if holds_data:
        row = _first_edition()
        row["organisers"] = json.loads(row["organisers"])
        op.bulk_insert(edition, [row])
        first_id = bind.execute(sa.text("SELECT id FROM edition")).scalar_one()

    if not sqlite and holds_data:
        # Theme ids were given by the old reference files, so theme's sequence never moved: new themes follow them.
        bind.execute(sa.text("SELECT setval(pg_get_serial_sequence('theme', 'id'), (SELECT max(id) FROM theme))"))

    for table, code in SCOPED.items():
        op.add_column(table, sa.Column("edition_id", sa.Integer(), nullable=True))
        if holds_data:
            bind.execute(sa.text(f"UPDATE {table} SET edition_id = :id"), {"id": first_id})
        unique_name = f"uq_{table}_edition_{code}"
        if sqlite:
            # The old UNIQUE(code) was created unnamed: the naming convention gives it a name to drop it by.
            with op.batch_alter_table(table, naming_convention={"uq": "uq_%(table_name)s_%(column_0_name)s"}) as batch:
                batch.alter_column("edition_id", existing_type=sa.Integer(), nullable=False)
                batch.create_foreign_key(f"fk_{table}_edition", "edition", ["edition_id"], ["id"])
                batch.create_index(f"ix_{table}_edition_id", ["edition_id"], unique=False)
                if code:
                    batch.drop_constraint(f"uq_{table}_{code}", type_="unique")
                    batch.create_unique_constraint(unique_name, ["edition_id", code])
        else:
            op.alter_column(table, "edition_id", existing_type=sa.Integer(), nullable=False)
            op.create_foreign_key(f"fk_{table}_edition", table, "edition", ["edition_id"], ["id"])
            op.create_index(f"ix_{table}_edition_id", table, ["edition_id"], unique=False)
            if code:
                for constraint in sa.inspect(bind).get_unique_constraints(table):
                    if constraint["column_names"] == [code]:
                        op.drop_constraint(constraint["name"], table, type_="unique")
                op.create_unique_constraint(unique_name, table, ["edition_id", code])

    # Key figures: the home page's headline figures are marked by a short label, in the order given.
    op.add_column(
        "keyfigure",
        sa.Column("short_label", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False, server_default=""),
    )
    op.add_column("keyfigure", sa.Column("position", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("keyfigure") as batch:
        batch.alter_column(
            "short_label", server_default=None, existing_type=sqlmodel.sql.sqltypes.AutoString(length=40)
        )
        batch.alter_column("position", server_default=None, existing_type=sa.Integer())

    # Départements: the national list, each with its Région's official code (NULL for « hors région »).
    op.add_column("departement", sa.Column("region_code", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True))
    region_of = _region_of()
    for dep_code, region_code in region_of.items():
        bind.execute(
            sa.text("UPDATE departement SET region_code = :r WHERE code = :c"), {"r": region_code, "c": dep_code}
        )
    with op.batch_alter_table("departement") as batch:
        batch.drop_column("in_region")
        batch.create_index("ix_departement_region_code", ["region_code"], unique=False)


def downgrade() -> None:
    """Back to a one-conference store: only possible while the store holds at most one edition."""
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if bind.execute(sa.text("SELECT count(*) FROM edition")).scalar_one() > 1:
        raise RuntimeError("This store holds several editions: it cannot go back to a single-conference schema.")
    with op.batch_alter_table("departement") as batch:
        batch.drop_index("ix_departement_region_code")
        batch.add_column(sa.Column("in_region", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("departement") as batch:
        batch.alter_column("in_region", server_default=None, existing_type=sa.Boolean())
    bind.execute(sa.text("UPDATE departement SET in_region = (region_code IS NOT NULL)"))
    with op.batch_alter_table("departement") as batch:
        batch.drop_column("region_code")
    with op.batch_alter_table("keyfigure") as batch:
        batch.drop_column("short_label")
        batch.drop_column("position")
    for table, code in SCOPED.items():
        with op.batch_alter_table(table) as batch:
            if code:
                batch.drop_constraint(f"uq_{table}_edition_{code}", type_="unique")
                batch.create_unique_constraint(f"uq_{table}_{code}" if sqlite else f"{table}_{code}_key", [code])
            batch.drop_constraint(f"fk_{table}_edition", type_="foreignkey")
            batch.drop_index(f"ix_{table}_edition_id")
            batch.drop_column("edition_id")
    op.drop_table("edition")
