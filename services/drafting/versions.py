"""An orientation's versions and what changed between two of them (line and word diffs)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from models import OrientationVersion
from services.drafting.orientations import orientation_row
from services.errors import NotFoundError
from services.labels import ORIENTATION_STATUS_LABELS, label


@dataclass(frozen=True)
class VersionView:
    version: int
    title: str
    body: str
    status: str
    edited_by: str
    note: str
    created_at: datetime


def list_versions(session: Session, *, orientation_id: int, edition_id: int | None = None) -> list[VersionView]:
    """Every version of an orientation, latest first."""
    orientation_row(session, orientation_id, edition_id)
    rows = session.exec(
        select(OrientationVersion)
        .where(OrientationVersion.orientation_id == orientation_id)
        .order_by(col(OrientationVersion.version).desc())
    ).all()
    return [VersionView(v.version, v.title, v.body, v.status, v.edited_by, v.note, v.created_at) for v in rows]


def _as_lines(v: VersionView) -> list[str]:
    lines = [f"Titre : {v.title}", f"Statut : {label(ORIENTATION_STATUS_LABELS, v.status)}", ""]
    return lines + v.body.splitlines()


def diff_versions(session: Session, *, orientation_id: int, old: int, new: int, edition_id: int | None = None) -> str:
    """A readable unified diff (difflib) between two versions of an orientation: '-' removed, '+' added."""
    versions = {
        v.version: v for v in list_versions(session=session, orientation_id=orientation_id, edition_id=edition_id)
    }
    if old not in versions or new not in versions:
        raise NotFoundError("Cette version n'existe pas.")
    a, b = versions[old], versions[new]
    lines = difflib.unified_diff(
        _as_lines(a), _as_lines(b), fromfile=f"version {old}", tofile=f"version {new}", lineterm="", n=3
    )
    return "\n".join(lines)


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Word-level changes between two texts as (kind, words) with kind in '=', '-', '+' (for a table)."""
    a, b = old.split(), new.split()
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(("=", " ".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(("-", " ".join(a[i1:i2])))
        if j2 > j1:
            out.append(("+", " ".join(b[j1:j2])))
    return out
