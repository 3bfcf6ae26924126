"""France's Régions and départements (INSEE codes), and maps of their outlines that need no network.

The national list is assets/reference/france_departements.yaml; the outlines are
assets/geo/departements.json (longitude/latitude rings, built by tools/build_departement_shapes.py, which
says where they come from). A `RegionMap` puts the outlines of some départements in one flat plane, in
kilometres around their middle (an equirectangular projection: at the size of a Région, a few tenths of a
percent from a true map), and places any point given by its latitude and longitude in the same plane.
A département whose outline an asset lacks is kept, labelled at its préfecture (every one has its outline today).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import yaml

from services.errors import NotFoundError

ASSETS = Path(__file__).resolve().parent.parent / "assets"
NATIONAL_LIST = ASSETS / "reference" / "france_departements.yaml"
OUTLINES = ASSETS / "geo" / "departements.json"

EARTH_RADIUS_KM = 6371.0
MARGIN = 0.04  # of the larger side, around what a map shows
MIN_SPAN_KM = 60.0  # a map with no outline (a préfecture alone) still shows its surroundings
NEIGHBOUR_KM = 3.0  # two outlines this close share a border (the source's shared borders differ by < 1 km)
# A point is "in France" inside the box of a Région's outlines grown by this much (coasts, islands)…
BOX_MARGIN_DEG = 0.2
# …or, for a département drawn without an outline, this close to its préfecture (French Guiana reaches
# about 320 km from Cayenne).
NO_OUTLINE_RADIUS_KM = 350.0

Point = tuple[float, float]
Ring = tuple[Point, ...]


@dataclass(frozen=True)
class DepartementInfo:
    code: str
    name: str
    prefecture: str
    lat: float
    lon: float
    region_code: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})"


@dataclass(frozen=True)
class RegionInfo:
    code: str
    name: str
    departements: tuple[DepartementInfo, ...]


@dataclass(frozen=True)
class DepartementShape:
    """One département on a `RegionMap`: its rings in the map's plane (km), where its label goes."""

    code: str
    name: str
    rings: tuple[Ring, ...]  # empty when the source has no outline for it
    label_x: float
    label_y: float
    tint: int  # 0, 1, 2…: neighbours never share one

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def has_outline(self) -> bool:
        return bool(self.rings)

    def contains(self, x: float, y: float) -> bool:
        """Whether the point lies inside the outline (even-odd rule over the rings)."""
        return any(_ring_contains(ring, x, y) for ring in self.rings)


@dataclass(frozen=True)
class RegionMap:
    shapes: tuple[DepartementShape, ...]
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    origin_lat: float
    origin_lon: float
    credit: str  # who drew the outlines, to show with the map (CC BY)

    @property
    def missing_outlines(self) -> tuple[DepartementShape, ...]:
        return tuple(s for s in self.shapes if not s.has_outline)

    def project(self, lat: float, lon: float) -> Point:
        """Where a point given by its latitude and longitude (degrees) lands on this map (km)."""
        return _project(lat, lon, self.origin_lat, self.origin_lon)

    def covers(self, x: float, y: float) -> bool:
        return self.x_range[0] <= x <= self.x_range[1] and self.y_range[0] <= y <= self.y_range[1]


@lru_cache(maxsize=1)
def _catalogue() -> tuple[RegionInfo, ...]:
    data = yaml.safe_load(NATIONAL_LIST.read_text(encoding="utf-8"))
    out = []
    for region in data["regions"]:
        code = str(region["code"])
        deps = tuple(
            DepartementInfo(
                code=str(d["code"]),
                name=str(d["name"]),
                prefecture=str(d["prefecture"]),
                lat=float(d["lat"]),
                lon=float(d["lon"]),
                region_code=code,
            )
            for d in region["departements"]
        )
        out.append(RegionInfo(code=code, name=str(region["name"]), departements=deps))
    return tuple(out)


@lru_cache(maxsize=1)
def _departements() -> dict[str, DepartementInfo]:
    return {d.code: d for r in _catalogue() for d in r.departements}


@lru_cache(maxsize=1)
def _outlines() -> tuple[dict[str, tuple[tuple[Point, ...], ...]], str]:
    """Rings per département code in (lon, lat), and the credit line of their source."""
    data = cast(dict[str, Any], json.loads(OUTLINES.read_text(encoding="utf-8")))
    rings = {
        code: tuple(tuple((float(p[0]), float(p[1])) for p in ring) for ring in shape)
        for code, shape in data["departements"].items()
    }
    return rings, str(data["about"]["credit"])


def regions() -> list[RegionInfo]:
    """The 18 Régions, by INSEE code."""
    return list(_catalogue())


def region(code: str) -> RegionInfo:
    for item in _catalogue():
        if item.code == code:
            return item
    raise NotFoundError(f"Région inconnue : {code}.")


def departement(code: str) -> DepartementInfo:
    try:
        return _departements()[code]
    except KeyError:
        raise NotFoundError(f"Département inconnu : {code}.") from None


def departements_of_region(code: str) -> list[DepartementInfo]:
    return list(region(code).departements)


def region_of_departement(code: str) -> RegionInfo | None:
    """The Région a département belongs to; None for a code that is no département (such as "HORS")."""
    found = _departements().get(code)
    return region(found.region_code) if found else None


def main_region(departement_codes: Iterable[str]) -> RegionInfo | None:
    """The Région most of these départements belong to (the first in code order on a tie), if any."""
    counts: dict[str, int] = {}
    for code in departement_codes:
        found = _departements().get(code)
        if found:
            counts[found.region_code] = counts.get(found.region_code, 0) + 1
    if not counts:
        return None
    return region(min(counts, key=lambda c: (-counts[c], c)))


def region_map(departement_codes: Sequence[str]) -> RegionMap:
    """These départements' outlines in one plane, with label positions, bounds and a projection for points."""
    return _region_map(tuple(dict.fromkeys(departement_codes)))


@lru_cache(maxsize=32)
def _region_map(departement_codes: tuple[str, ...]) -> RegionMap:
    deps = [departement(code) for code in departement_codes]
    if not deps:
        raise NotFoundError("Aucun département à dessiner.")
    outlines, credit = _outlines()
    lonlat = [p for d in deps for ring in outlines.get(d.code, ()) for p in ring] + [(d.lon, d.lat) for d in deps]
    origin_lat = (min(p[1] for p in lonlat) + max(p[1] for p in lonlat)) / 2
    origin_lon = (min(p[0] for p in lonlat) + max(p[0] for p in lonlat)) / 2

    def flat(ring: Iterable[Point]) -> Ring:
        return tuple(_project(lat, lon, origin_lat, origin_lon) for lon, lat in ring)

    planes = {d.code: tuple(flat(r) for r in outlines.get(d.code, ())) for d in deps}
    tints = _tints(planes)
    shapes = []
    for d in deps:
        rings = planes[d.code]
        prefecture = _project(d.lat, d.lon, origin_lat, origin_lon)
        label = prefecture
        if rings:
            centre = _centroid(rings[0])  # the largest ring comes first
            if _ring_contains(rings[0], *centre):
                label = centre
        shapes.append(DepartementShape(d.code, d.name, rings, label[0], label[1], tints[d.code]))
    points = [p for s in shapes for ring in s.rings for p in ring] + [(s.label_x, s.label_y) for s in shapes]
    x_range, y_range = _bounds(points)
    return RegionMap(tuple(shapes), x_range, y_range, origin_lat, origin_lon, credit)


def is_in_france(lat: float, lon: float) -> bool:
    """Whether a point lies in or close to some Région (its outlines' box, or near an overseas préfecture)."""
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return False
    for west, south, east, north in _region_boxes():
        if south <= lat <= north and west <= lon <= east:
            return True
    outlines, _ = _outlines()
    return any(
        _distance_km(lat, lon, d.lat, d.lon) <= NO_OUTLINE_RADIUS_KM
        for d in _departements().values()
        if d.code not in outlines
    )


@lru_cache(maxsize=1)
def _region_boxes() -> tuple[tuple[float, float, float, float], ...]:
    outlines, _ = _outlines()
    boxes = []
    for item in _catalogue():
        points = [p for d in item.departements for ring in outlines.get(d.code, ()) for p in ring]
        if points:
            boxes.append(
                (
                    min(p[0] for p in points) - BOX_MARGIN_DEG,
                    min(p[1] for p in points) - BOX_MARGIN_DEG,
                    max(p[0] for p in points) + BOX_MARGIN_DEG,
                    max(p[1] for p in points) + BOX_MARGIN_DEG,
                )
            )
    return tuple(boxes)


def _project(lat: float, lon: float, origin_lat: float, origin_lon: float) -> Point:
    x = EARTH_RADIUS_KM * math.radians(lon - origin_lon) * math.cos(math.radians(origin_lat))
    y = EARTH_RADIUS_KM * math.radians(lat - origin_lat)
    return x, y


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _bounds(points: Sequence[Point]) -> tuple[tuple[float, float], tuple[float, float]]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    span = max(x1 - x0, y1 - y0, MIN_SPAN_KM)
    grow_x = max(span * MARGIN, (MIN_SPAN_KM - (x1 - x0)) / 2)
    grow_y = max(span * MARGIN, (MIN_SPAN_KM - (y1 - y0)) / 2)
    return (x0 - grow_x, x1 + grow_x), (y0 - grow_y, y1 + grow_y)


def _ring_contains(ring: Ring, x: float, y: float) -> bool:
    inside = False
    x_prev, y_prev = ring[-1]
    for x_cur, y_cur in ring:
        if (y_cur > y) != (y_prev > y) and x < (x_prev - x_cur) * (y - y_cur) / (y_prev - y_cur) + x_cur:
            inside = not inside
        x_prev, y_prev = x_cur, y_cur
    return inside


def _centroid(ring: Ring) -> Point:
    area = cx = cy = 0.0
    x_prev, y_prev = ring[-1]
    for x_cur, y_cur in ring:
        cross = x_prev * y_cur - x_cur * y_prev
        area += cross
        cx += (x_prev + x_cur) * cross
        cy += (y_prev + y_cur) * cross
        x_prev, y_prev = x_cur, y_cur
    if area == 0:
        return ring[0]
    return cx / (3 * area), cy / (3 * area)


def _tints(planes: dict[str, tuple[Ring, ...]]) -> dict[str, int]:
    """A greedy colouring: each département takes the first tint none of its drawn neighbours has."""
    boxes = {
        code: (
            min(p[0] for r in rings for p in r),
            min(p[1] for r in rings for p in r),
            max(p[0] for r in rings for p in r),
            max(p[1] for r in rings for p in r),
        )
        for code, rings in planes.items()
        if rings
    }

    def touch(a: str, b: str) -> bool:
        (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = boxes[a], boxes[b]
        if ax0 > bx1 + NEIGHBOUR_KM or bx0 > ax1 + NEIGHBOUR_KM or ay0 > by1 + NEIGHBOUR_KM or by0 > ay1 + NEIGHBOUR_KM:
            return False
        near = NEIGHBOUR_KM**2
        theirs = [p for r in planes[b] for p in r]
        return any((px - qx) ** 2 + (py - qy) ** 2 <= near for r in planes[a] for px, py in r for qx, qy in theirs)

    tints: dict[str, int] = {}
    for code in planes:
        taken = {tints[other] for other in tints if code in boxes and other in boxes and touch(code, other)}
        tints[code] = next(i for i in range(len(planes) + 1) if i not in taken)
    return tints


def region_name(code: str) -> str:
    """The Région's name, '' for an unknown code (packs and settings are checked with it)."""
    return next((r.name for r in _catalogue() if r.code == code), "")


def departement_codes(region_code: str) -> tuple[str, ...]:
    """The codes of a Région's départements, () for an unknown Région."""
    return tuple(d.code for r in _catalogue() if r.code == region_code for d in r.departements)
