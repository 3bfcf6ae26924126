"""contribution tally rollup kept by triggers

The live tallies read `contributiontally` (models.contribution.ContributionTally): counts per time bucket,
theme, source, status and one category. Triggers keep it exact in the same transaction as every insert,
delete and update of a counted column of `contribution`, whoever writes (the app, a bulk import, psql);
the table is backfilled here from the existing rows.

On SQLite, a later migration that rebuilds `contribution` (batch mode "recreate") drops its triggers: it
must create them again (`create_sqlite_triggers()` below, copied as it is then).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept here as written at the time: a migration must not change when the model moves on.
TABLE = "contributiontally"
KEY = "family, width, bucket, theme_id, source, status, key1, key2"
COUNTED = "theme_id, source, status, departement, actor_type, orientation_id, stance, created_at"
DAY_S, HOUR_S, QUARTER_S = 86400, 3600, 900
ADVISORY_LOCK = 20160628  # PostgreSQL: the key of the lock taken by every write to the rollup


def _epoch(dialect: str, ref: str) -> str:
    """Whole UTC epoch seconds of created_at (truncated: SQLite's strftime would round .9995 s up)."""
    if dialect == "sqlite":
        return f"CAST(strftime('%s', substr({ref}created_at, 1, 19)) AS INTEGER)"
    return f"CAST(floor(extract(epoch FROM {ref}created_at)) AS BIGINT)"


def _families(dialect: str, ref: str) -> list[tuple[str, str, str, tuple[int, ...], str]]:
    """(family, key1, key2, widths, condition) of the rows one contribution counts in."""
    text_of = "CAST({}orientation_id AS TEXT)" if dialect == "sqlite" else "CAST({}orientation_id AS VARCHAR)"
    return [
        ("base", "''", "''", (QUARTER_S, HOUR_S, DAY_S), ""),
        ("departement", f"coalesce({ref}departement, '')", "''", (HOUR_S, DAY_S), ""),
        ("actor_type", f"coalesce({ref}actor_type, '')", "''", (HOUR_S, DAY_S), ""),
        (
            "stance",
            text_of.format(ref),
            f"{ref}stance",
            (HOUR_S, DAY_S),
            f"{ref}orientation_id IS NOT NULL AND {ref}stance IS NOT NULL",
        ),
    ]


def _keys(dialect: str, ref: str) -> str:
    """A SELECT of every (family, width, bucket, key1, key2) row one contribution (`ref`: NEW. or OLD.) counts in."""
    epoch = _epoch(dialect, ref)
    parts = []
    for family, key1, key2, widths, condition in _families(dialect, ref):
        for width in widths:
            where = f" WHERE {condition}" if condition else ""
            parts.append(
                f"SELECT CAST('{family}' AS VARCHAR(12)) AS family, {width} AS width, {epoch} / {width} AS bucket, "
                f"CAST({key1} AS VARCHAR(30)) AS key1, CAST({key2} AS VARCHAR(30)) AS key2{where}"
            )
    return " UNION ALL ".join(parts)


def _apply(dialect: str, ref: str, delta: int) -> str:
    """Add `delta` to every row the contribution `ref` counts in (an upsert per row)."""
    target = "" if dialect == "sqlite" else f"{TABLE}."
    return (
        f"INSERT INTO {TABLE} ({KEY}, n) "
        f"SELECT k.family, k.width, k.bucket, {ref}theme_id, {ref}source, {ref}status, k.key1, k.key2, {delta} "
        f"FROM ({_keys(dialect, ref)}) AS k WHERE true "
        f"ON CONFLICT ({KEY}) DO UPDATE SET n = {target}n + excluded.n"
    )


def create_sqlite_triggers() -> None:
    op.execute(
        f"CREATE TRIGGER contributiontally_insert AFTER INSERT ON contribution BEGIN {_apply('sqlite', 'NEW.', 1)}; END"
    )
    op.execute(
        f"CREATE TRIGGER contributiontally_delete AFTER DELETE ON contribution BEGIN {_apply('sqlite', 'OLD.', -1)}; END"
    )
    op.execute(
        f"CREATE TRIGGER contributiontally_update AFTER UPDATE OF {COUNTED} ON contribution BEGIN "
        f"{_apply('sqlite', 'OLD.', -1)}; {_apply('sqlite', 'NEW.', 1)}; END"
    )


def create_postgresql_triggers() -> None:
    # Every statement that writes contributions first takes one advisory lock, held until commit: writers
    # queue, as under SQLite's single writer. Without it, two transactions each changing several
    # contributions (a moderator publishing a batch while phones submit) take the same rollup rows in
    # opposite orders and deadlock (test_concurrent_writers_… fails with DeadlockDetected). Taken BEFORE the
    # statement, so before any contribution row is locked: the lock never waits behind a row lock it
    # could itself be blocking. The rollup's hot rows (this quarter hour, this theme) serialise those
    # writers anyway.
    op.execute(
        f"""CREATE FUNCTION contributiontally_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({ADVISORY_LOCK});
    RETURN NULL;
END
$$"""
    )
    op.execute(
        "CREATE TRIGGER contributiontally_lock BEFORE INSERT OR DELETE OR UPDATE ON contribution "
        "FOR EACH STATEMENT EXECUTE FUNCTION contributiontally_lock()"
    )
    op.execute(
        f"""CREATE FUNCTION contributiontally_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        {_apply("postgresql", "OLD.", -1)};
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        {_apply("postgresql", "NEW.", 1)};
    END IF;
    RETURN NULL;
END
$$"""
    )
    op.execute(
        f"CREATE TRIGGER contributiontally_apply AFTER INSERT OR DELETE OR UPDATE OF {COUNTED} ON contribution "
        "FOR EACH ROW EXECUTE FUNCTION contributiontally_apply()"
    )


def backfill(dialect: str) -> None:
    """Count the existing contributions: one GROUP BY per family and width."""
    epoch = _epoch(dialect, "")
    for family, key1, key2, widths, condition in _families(dialect, ""):
        for width in widths:
            where = f"WHERE {condition}" if condition else ""
            op.execute(
                f"INSERT INTO {TABLE} ({KEY}, n) "
                f"SELECT '{family}', {width}, {epoch} / {width}, theme_id, source, status, {key1}, {key2}, count(*) "
                f"FROM contribution {where} "
                "GROUP BY 3, 4, 5, 6, 7, 8"  # by position: PostgreSQL refuses constants in GROUP BY
            )


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("family", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("key1", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("key2", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("family", "width", "bucket", "theme_id", "source", "status", "key1", "key2"),
        sqlite_with_rowid=False,
    )
    dialect = op.get_bind().dialect.name
    # Backfill first, then the triggers: the migration runs in one transaction (on SQLite, under the
    # write lock), so no contribution can slip between the two.
    backfill(dialect)
    if dialect == "sqlite":
        create_sqlite_triggers()
    else:
        create_postgresql_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS contributiontally_{name}")
    else:
        for name in ("apply", "lock"):
            op.execute(f"DROP TRIGGER IF EXISTS contributiontally_{name} ON contribution")
            op.execute(f"DROP FUNCTION IF EXISTS contributiontally_{name}()")
    op.drop_table(TABLE)
