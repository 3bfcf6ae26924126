"""Bulk writes of contributions that count their own batch in the rollup, instead of ~9 upserts per row.

The triggers of migrations 0004 and 0005 keep `contributiontally` (models.ContributionTally) exact row by
row. A bulk writer (the questionnaire import) wraps its inserts in `paused_rollup`: the triggers skip the
contributions it inserts there, and at the end of the block, in the same transaction, one
INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE per family and bucket width counts them all.

A pause is a mark, the highest contribution id when it starts; the batch is every contribution of this
transaction with an id above it (see migration 0005 for why no other transaction can get one). Writes to
older contributions inside the block are counted by the triggers as usual, so the block may also update
or delete anything. The block runs in a savepoint: if it raises, its rows, the pause and nothing else
go away, and the exception goes on to the caller (whose session_scope rolls the transaction back).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import BindParameter, String, Table, bindparam, cast, event, func, literal_column, text
from sqlalchemy import delete as core_delete
from sqlalchemy import insert as core_insert
from sqlalchemy import select as core_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from models import Contribution, ContributionTally, ContributionTallyPause
from services.tallies import ROLLUP_WIDTHS, rollup_column

# PostgreSQL: read by the trigger function contributiontally_apply() (migration 0005), set for this
# transaction only; and the advisory lock every writer of contributions takes (migration 0004).
PAUSE_SETTING = "ess.rollup_paused_above"
ROLLUP_LOCK = 20160628
_ACTIVE = "tally_rollup.paused_above"  # session.info: the mark of the pause this session is in

_TALLY_COLUMNS = ("family", "width", "bucket", "theme_id", "source", "status", "key1", "key2", "n")
_TALLY_KEY = _TALLY_COLUMNS[:-1]


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


@contextmanager
def paused_rollup(session: Session) -> Iterator[None]:
    """Insert many contributions in the block: the rollup counts them at its end, one upsert per family and width."""
    if _ACTIVE in session.info:  # already paused (a bulk writer calling another): the outer pause counts
        yield
        return
    dialect = session.get_bind().dialect.name
    with session.begin_nested():
        mark = _pause(session, dialect)
        connection = session.connection()
        # A commit inside the block would end it half-way: on SQLite it would even commit the pause row and
        # silence the triggers of every later writer. Refused; the caller's transaction then rolls back.
        event.listen(connection, "commit", _refuse_commit)
        session.info[_ACTIVE] = mark
        try:
            yield
            session.flush()  # ORM rows added in the block get their ids (above the mark) while still paused
            _resume(session, dialect, mark)
            _count_batch(session, dialect, mark)
        finally:
            del session.info[_ACTIVE]
            event.remove(connection, "commit", _refuse_commit)


def _refuse_commit(_connection: Any) -> None:
    raise RuntimeError("commit inside paused_rollup: the batch would not be counted in the rollup")


def _pause(session: Session, dialect: str) -> int:
    if dialect == "postgresql":
        # Before reading the mark: a writer that holds the lock may have inserted rows not committed yet.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ROLLUP_LOCK})
    mark = int(session.execute(core_select(func.coalesce(func.max(col(Contribution.id)), 0))).scalar_one())
    if dialect == "postgresql":
        session.execute(text("SELECT set_config(:name, :value, true)"), {"name": PAUSE_SETTING, "value": str(mark)})
    else:
        session.execute(core_insert(_table(ContributionTallyPause)).values(above_id=mark))
    return mark


def _resume(session: Session, dialect: str, mark: int) -> None:
    """End the pause, after checking it is still this block's (a rollback inside the block ends it too)."""
    if dialect == "postgresql":
        current = session.execute(text("SELECT current_setting(:name, true)"), {"name": PAUSE_SETTING}).scalar()
        lost = current != str(mark)
        if not lost:
            session.execute(text("SELECT set_config(:name, '', true)"), {"name": PAUSE_SETTING})
    else:
        pause = _table(ContributionTallyPause)
        result = session.execute(core_delete(pause).where(pause.c.above_id == mark))
        lost = getattr(result, "rowcount", 0) != 1
    if lost:
        raise RuntimeError("paused_rollup: the pause ended inside the block (rollback?); the batch is not counted")


def _count_batch(session: Session, dialect: str, mark: int) -> None:
    """Add the contributions above the mark to the rollup: one grouped upsert per family and bucket width."""
    for statement in _batch_upserts(session, dialect):
        session.execute(statement, {"above": mark})


def _batch_upserts(session: Session, dialect: str) -> list[Any]:
    tally = _table(ContributionTally)
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statements = []
    for family, widths in ROLLUP_WIDTHS.items():
        for width in widths:
            key1 = rollup_column(session, family, "key1", width)
            if family == "stance":
                key1 = cast(key1, String)  # the orientation id, as text, like the triggers
            keys = [
                rollup_column(session, family, "bucket", width),
                col(Contribution.theme_id),
                col(Contribution.source),
                col(Contribution.status),
                key1,
                rollup_column(session, family, "key2", width),
            ]
            rows = core_select(
                literal_column(f"'{family}'"), literal_column(str(int(width))), *keys, func.count()
            ).where(col(Contribution.id) > bindparam("above"))
            if family == "stance":
                rows = rows.where(col(Contribution.orientation_id).is_not(None), col(Contribution.stance).is_not(None))
            # Constant keys ('' for a family without them) are left out of GROUP BY.
            rows = rows.group_by(*(k for k in keys if not isinstance(k, BindParameter)))
            upsert = insert(tally).from_select(list(_TALLY_COLUMNS), rows)
            statements.append(
                upsert.on_conflict_do_update(index_elements=list(_TALLY_KEY), set_={"n": tally.c.n + upsert.excluded.n})
            )
    return statements
