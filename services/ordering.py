"""Rows kept in an order by a `position` column (stands on the circuit, orientations in a theme)."""

from __future__ import annotations

from typing import Protocol, TypeVar

from sqlmodel import Session


class Positioned(Protocol):
    position: int


P = TypeVar("P", bound=Positioned)


def move_in_order(session: Session, rows: list[P], index: int, target: int) -> None:
    """Move rows[index] to `target` in `rows` (reordered in place) and number the positions 1, 2, 3…;
    only the rows whose position changes are written."""
    rows.insert(target, rows.pop(index))
    for number, row in enumerate(rows, start=1):
        if row.position != number:
            row.position = number
            session.add(row)
