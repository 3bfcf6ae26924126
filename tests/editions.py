"""A second edition in a test store: the shipped Centre-Val de Loire pack, whose codes overlap the 2016 ones."""

from __future__ import annotations

from sqlmodel import Session

from services.reference_data import PACKS_DIR, load_pack, read_pack_file

SECOND_PACK = PACKS_DIR / "centre-val-de-loire-2022.yaml"
FIRST_EDITION_ID = 1  # the startup pack's edition in every test store


def load_second_edition(session: Session) -> int:
    """Load the Centre-Val de Loire 2022 pack into the store; its edition id."""
    edition_id, _ = load_pack(session=session, pack=read_pack_file(SECOND_PACK))
    return edition_id
