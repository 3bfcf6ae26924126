"""A second edition in a test store: the shipped Centre-Val de Loire pack, whose codes overlap the 2016 ones."""

from __future__ import annotations

import copy
import functools

from sqlmodel import Session

from services.packs import Pack
from services.reference_data import PACKS_DIR, load_pack, read_pack_file

SECOND_PACK = PACKS_DIR / "centre-val-de-loire-2022.yaml"
FIRST_EDITION_ID = 1  # the startup pack's edition in every test store


@functools.cache
def _read_second_pack() -> Pack:
    return read_pack_file(SECOND_PACK)


def second_pack() -> Pack:
    """The Centre-Val de Loire 2022 pack as read_pack_file gives it, a fresh copy at each call.

    The file is read and checked once per test process: reading a pack's YAML costs 0.1 to 0.2 s, and sixty tests
    load this one (reading packs, the shipped ones included, is tested on its own in tests/services/test_editions.py).
    """
    return copy.deepcopy(_read_second_pack())


def load_second_edition(session: Session) -> int:
    """Load the Centre-Val de Loire 2022 pack into the store; its edition id."""
    edition_id, _ = load_pack(session=session, pack=second_pack())
    return edition_id
