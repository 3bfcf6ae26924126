"""contribution tally rollup: a bulk writer may pause the per-row triggers and count its batch itself

The triggers of 0004 make about 9 upserts per inserted contribution. Here they learn to skip the contributions
of a batch in progress, and the batch writer (services.tally_rollup.paused_rollup) counts them at the end, in the
same transaction, with one INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE per family and bucket width.
Measured on the questionnaire import (25 000 contributions): PostgreSQL 33 s instead of 37-45 s (a plpgsql call
and 9 upserts per row saved). On SQLite the triggers' work is small; what their mere presence costs is a
statement journal per INSERT statement, which a paused trigger still costs: bulk writers insert many rows per
statement instead (services.contributions._insert_rows).

What a pause is: a mark, the highest contribution id when the pause starts. The triggers skip a row whose
id is above the mark (inserted by the pausing transaction after the pause began); the writer counts exactly
those rows at the end (`id > mark`, as they are then: an update or a delete of a batch row inside the pause
is seen there). Writes to older rows inside the pause still go through the triggers, so any mix of writes
stays exact. No other transaction can get an id above the mark before the pause ends:
- SQLite: the mark is a row of `contributiontally_pause`, inserted inside the writer's transaction, which
  holds the write lock from BEGIN IMMEDIATE to COMMIT (one writer at a time), and deleted before COMMIT.
  No other connection ever sees it: readers see committed data only (WAL), writers wait for the lock. A
  TEMP table cannot do: a trigger of the main schema cannot read the temp schema. The triggers test it with
  NOT EXISTS on an empty table (one lookup) when nothing is paused.
- PostgreSQL: the mark is the transaction-local setting `ess.rollup_paused_above` (set_config(…, true), i.e.
  SET LOCAL), read by contributiontally_apply() with current_setting(…, true). It only exists in the
  pausing transaction and ends with it whatever happens (commit, rollback, lost connection), so concurrent
  writers keep their triggers firing. A table row would also stay invisible to other transactions until
  commit, but a pause committed by mistake would then silence every writer; a setting cannot outlive its
  transaction. The writer takes 0004's advisory lock (20160628) before reading the mark, as every writer
  of contributions does before its first write: no other transaction writes contributions until it
  commits, so no other row gets an id above the mark. The lock trigger of 0004 is kept as it is.
  `contributiontally_pause` exists on PostgreSQL too (one schema for the models) and stays empty.

The downgrade restores the triggers of 0004 exactly (its own functions, loaded from its module).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 13:00:00
"""

from collections.abc import Sequence
from types import ModuleType

import sqlalchemy as sa
from alembic import context, op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept here as written at the time: a migration must not change when the model moves on.
PAUSE = "contributiontally_pause"
PAUSE_SETTING = "ess.rollup_paused_above"


def _v0004() -> ModuleType:
    """Migration 0004's module (its table, keys and trigger builders, frozen with it)."""
    return context.script.get_revision("0004").module


def _apply(dialect: str, ref: str, delta: int, condition: str = "true") -> str:
    """0004's upsert of every rollup row the contribution `ref` counts in, only when `condition` holds."""
    v4 = _v0004()
    target = "" if dialect == "sqlite" else f"{v4.TABLE}."
    return (
        f"INSERT INTO {v4.TABLE} ({v4.KEY}, n) "
        f"SELECT k.family, k.width, k.bucket, {ref}theme_id, {ref}source, {ref}status, k.key1, k.key2, {delta} "
        f"FROM ({v4._keys(dialect, ref)}) AS k WHERE {condition} "
        f"ON CONFLICT ({v4.KEY}) DO UPDATE SET n = {target}n + excluded.n"
    )


def _counted_sqlite(ref: str) -> str:
    """The row `ref` is not part of a paused batch: counted by the trigger."""
    return f"NOT EXISTS (SELECT 1 FROM {PAUSE} WHERE {ref}id > above_id)"


def _drop_sqlite_triggers() -> None:
    for name in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS contributiontally_{name}")


def create_sqlite_triggers() -> None:
    """The triggers of 0004, skipping the rows of a paused batch (a rebuild of `contribution` calls this)."""
    counted = _v0004().COUNTED
    op.execute(
        "CREATE TRIGGER contributiontally_insert AFTER INSERT ON contribution "
        f"WHEN {_counted_sqlite('NEW.')} BEGIN {_apply('sqlite', 'NEW.', 1)}; END"
    )
    op.execute(
        "CREATE TRIGGER contributiontally_delete AFTER DELETE ON contribution "
        f"WHEN {_counted_sqlite('OLD.')} BEGIN {_apply('sqlite', 'OLD.', -1)}; END"
    )
    # OLD and NEW tested apart: an update may only concern the batch on one side (the id changed).
    op.execute(
        f"CREATE TRIGGER contributiontally_update AFTER UPDATE OF {counted} ON contribution BEGIN "
        f"{_apply('sqlite', 'OLD.', -1, _counted_sqlite('OLD.'))}; "
        f"{_apply('sqlite', 'NEW.', 1, _counted_sqlite('NEW.'))}; END"
    )


def create_postgresql_apply_function() -> None:
    """0004's row trigger function, skipping the rows of this transaction's paused batch."""
    op.execute(
        f"""CREATE OR REPLACE FUNCTION contributiontally_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    -- NULL when never set in this session, '' once a pause ended: nothing is paused.
    paused_above bigint := nullif(current_setting('{PAUSE_SETTING}', true), '')::bigint;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF paused_above IS NULL OR OLD.id <= paused_above THEN
            {_apply("postgresql", "OLD.", -1)};
        END IF;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        IF paused_above IS NULL OR NEW.id <= paused_above THEN
            {_apply("postgresql", "NEW.", 1)};
        END IF;
    END IF;
    RETURN NULL;
END
$$"""
    )


def upgrade() -> None:
    op.create_table(
        PAUSE,
        sa.Column("above_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("above_id"),
    )
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot alter a trigger: dropped and created again in this transaction, under the write lock.
        _drop_sqlite_triggers()
        create_sqlite_triggers()
    else:
        # The same function replaced in place: its trigger, and 0004's lock trigger, stay as they are.
        create_postgresql_apply_function()


def downgrade() -> None:
    v4 = _v0004()
    if op.get_bind().dialect.name == "sqlite":
        _drop_sqlite_triggers()
        v4.create_sqlite_triggers()
    else:
        for name in ("apply", "lock"):
            op.execute(f"DROP TRIGGER IF EXISTS contributiontally_{name} ON contribution")
            op.execute(f"DROP FUNCTION IF EXISTS contributiontally_{name}()")
        v4.create_postgresql_triggers()
    op.drop_table(PAUSE)
