"""the adequacy check: one stance per device and proposed orientation, paper ballots, and their rollups

Participants weigh in on every proposed orientation in one tap each (models/vote.py): `orientationvote` holds
each device's current stance, `paperballot` the counts staff enter from paper, `voteevent` every change in
order, and `votetally` / `votetallytime` the counts the live pages read (kept by services/votes.py in the same
transaction as each change). Editions and themes gain a switch that opens or closes the vote (open by default,
as stances could already be given with a contribution); participants may describe themselves (actor type,
département) for the results' filters; `participant.created_at` is indexed for the count of new devices per
minute.

Only new tables and added columns: `contribution` and its rollup triggers are untouched.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 02:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from models.base import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "votetally",
        sa.Column("orientation_id", sa.Integer(), nullable=False),
        sa.Column("choice", _text(20), nullable=False),
        sa.Column("origin", _text(20), nullable=False),
        sa.Column("actor_type", _text(30), nullable=False),
        sa.Column("departement", _text(5), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("orientation_id", "choice", "origin", "actor_type", "departement"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "votetallytime",
        sa.Column("orientation_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("choice", _text(20), nullable=False),
        sa.Column("origin", _text(20), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("orientation_id", "bucket", "choice", "origin"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "orientationvote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("orientation_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("choice", _text(20), nullable=False),
        sa.Column("origin", _text(20), nullable=False),
        sa.Column("stand_id", sa.Integer(), nullable=True),
        sa.Column("actor_type", _text(30), nullable=True),
        sa.Column("departement", _text(5), nullable=True),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["orientation_id"], ["orientation.id"]),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"]),
        sa.ForeignKeyConstraint(["stand_id"], ["stand.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("orientation_id", "participant_id", name="uq_orientationvote_pair"),
    )
    op.create_index("ix_orientationvote_participant_id", "orientationvote", ["participant_id"])
    op.create_table(
        "paperballot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("orientation_id", sa.Integer(), nullable=False),
        sa.Column("choice", _text(20), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("source", _text(200), nullable=False),
        sa.Column("batch", _text(36), nullable=False),
        sa.Column("entered_by", _text(60), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("withdrawn_at", UTCDateTime(), nullable=True),
        sa.Column("withdrawn_by", _text(60), nullable=False),
        sa.ForeignKeyConstraint(["orientation_id"], ["orientation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_paperballot_batch", "paperballot", ["batch"])
    op.create_index("ix_paperballot_orientation_id", "paperballot", ["orientation_id"])
    op.create_table(
        "voteevent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("orientation_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("paper_ballot_id", sa.Integer(), nullable=True),
        sa.Column("choice", _text(20), nullable=True),
        sa.Column("previous_choice", _text(20), nullable=True),
        sa.Column("origin", _text(20), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["orientation_id"], ["orientation.id"]),
        sa.ForeignKeyConstraint(["paper_ballot_id"], ["paperballot.id"]),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_voteevent_orientation_created", "voteevent", ["orientation_id", "created_at"])
    op.create_index("ix_voteevent_participant_id", "voteevent", ["participant_id"])

    # Plain ADD COLUMN (no table rebuild on SQLite): open by default, as before this revision.
    op.add_column("edition", sa.Column("vote_open", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.add_column("theme", sa.Column("vote_open", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.add_column("participant", sa.Column("actor_type", _text(30), nullable=True))
    op.add_column("participant", sa.Column("departement", _text(5), nullable=True))
    op.add_column("participant", sa.Column("first_vote_at", UTCDateTime(), nullable=True))
    op.create_index("ix_participant_created_at", "participant", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_participant_created_at", table_name="participant")
    with op.batch_alter_table("participant") as batch_op:
        batch_op.drop_column("first_vote_at")
        batch_op.drop_column("departement")
        batch_op.drop_column("actor_type")
    with op.batch_alter_table("theme") as batch_op:
        batch_op.drop_column("vote_open")
    with op.batch_alter_table("edition") as batch_op:
        batch_op.drop_column("vote_open")
    for table, indexes in (
        ("voteevent", ("ix_voteevent_participant_id", "ix_voteevent_orientation_created")),
        ("paperballot", ("ix_paperballot_orientation_id", "ix_paperballot_batch")),
        ("orientationvote", ("ix_orientationvote_participant_id",)),
        ("votetallytime", ()),
        ("votetally", ()),
    ):
        for index in indexes:
            op.drop_index(index, table_name=table)
        op.drop_table(table)
