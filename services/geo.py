"""The official list of French Régions and their départements (assets/reference/france_departements.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

NATIONAL_LIST = Path(__file__).resolve().parent.parent / "assets" / "reference" / "france_departements.yaml"


@dataclass(frozen=True)
class DepartementInfo:
    code: str
    name: str
    prefecture: str
    lat: float
    lon: float


@dataclass(frozen=True)
class RegionInfo:
    code: str
    name: str
    departements: tuple[DepartementInfo, ...]


@lru_cache(maxsize=1)
def regions() -> tuple[RegionInfo, ...]:
    """Every Région, metropolitan then overseas as listed, with its départements."""
    data = yaml.safe_load(NATIONAL_LIST.read_text(encoding="utf-8"))
    return tuple(
        RegionInfo(
            code=str(r["code"]),
            name=str(r["name"]),
            departements=tuple(
                DepartementInfo(str(d["code"]), str(d["name"]), str(d["prefecture"]), float(d["lat"]), float(d["lon"]))
                for d in r["departements"]
            ),
        )
        for r in data["regions"]
    )


def region(code: str) -> RegionInfo | None:
    return next((r for r in regions() if r.code == code), None)


def region_name(code: str) -> str:
    """The Région's name, '' if the code is unknown."""
    found = region(code)
    return found.name if found is not None else ""


def departements_of_region(code: str) -> tuple[DepartementInfo, ...]:
    found = region(code)
    return found.departements if found is not None else ()


def departement_codes(region_code: str) -> tuple[str, ...]:
    return tuple(d.code for d in departements_of_region(region_code))


def region_of_departement(code: str) -> str | None:
    return next((r.code for r in regions() for d in r.departements if d.code == code), None)
