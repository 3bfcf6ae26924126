"""Nothing a user reads names a Région, a city, a conference date or a count the edition's data does not hold.

Every Région's name (the national list), every shipped pack's city and dates, and counts of themes or projects
written in words must appear only in the packs, the national list and the tests, never in code or page text.
"""

from __future__ import annotations

import functools
import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from services import geo

ROOT = Path(__file__).resolve().parent.parent
CODE = [
    ROOT / "app.py",
    ROOT / "manage.py",
    *sorted((ROOT / "app_pages").rglob("*.py")),
    *sorted((ROOT / "ui").rglob("*.py")),
    *sorted((ROOT / "services").rglob("*.py")),
    *sorted((ROOT / "core").rglob("*.py")),
    *sorted((ROOT / "db").rglob("*.py")),
    *sorted((ROOT / "assets" / "css").glob("*.css")),
]
NUMBERS = "deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze"
MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


@functools.cache  # the packs are parsed once per run, not once per file checked
def forbidden() -> list[tuple[str, re.Pattern[str]]]:
    found: list[tuple[str, re.Pattern[str]]] = []
    for region in geo.regions():
        # A name on its own: « Haute-Corse » in the postal-code rules names a département, not a Région.
        found.append((f"Région {region.name}", re.compile(rf"(?<![-\w]){re.escape(region.name)}(?![-\w])")))
    for pack in sorted((ROOT / "assets" / "editions").glob("*.yaml")):
        data = yaml.safe_load(pack.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or "edition" not in data:
            continue
        edition = data["edition"]
        if edition.get("city"):
            found.append((f"ville {edition['city']}", re.compile(rf"\b{re.escape(edition['city'])}\b")))
        day = date.fromisoformat(str(edition["start_date"]))
        for shown in (day.strftime("%d/%m/%Y"), day.isoformat(), f"{day.day} {MONTHS[day.month - 1]} {day.year}"):
            found.append((f"date {shown}", re.compile(re.escape(shown))))
    found.append(
        ("un nombre de thèmes ou de projets", re.compile(rf"\b({NUMBERS}) (thèmes|thématiques|PTCE|projets)\b"))
    )
    return found


@pytest.mark.parametrize("path", CODE, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_edition_fact_is_written_in_code(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    hits = [
        f"{what} (ligne {text[: m.start()].count(chr(10)) + 1})"
        for what, pattern in forbidden()
        for m in pattern.finditer(text)
    ]
    assert not hits, f"{path.relative_to(ROOT)} : " + "; ".join(hits)
