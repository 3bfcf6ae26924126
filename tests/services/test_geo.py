"""The national list of Régions and départements, and the offline maps drawn from the shipped outlines."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from services import geo
from services.errors import NotFoundError

OVERSEAS = {"971", "972", "973", "974", "976"}


def test_the_national_list_has_every_region_and_departement_once() -> None:
    regions = geo.regions()
    assert len(regions) == 18
    assert len({r.code for r in regions}) == 18
    codes = [d.code for r in regions for d in r.departements]
    assert len(codes) == 101
    assert not [code for code, n in Counter(codes).items() if n > 1]  # each in exactly one Région
    assert {"2A", "2B", *OVERSEAS} <= set(codes) and "20" not in codes
    assert {r.code for r in regions if len(r.departements) == 1} == {"01", "02", "03", "04", "06"}
    assert geo.region("94").name == "Corse" and geo.region("84").name == "Auvergne-Rhône-Alpes"


@pytest.mark.parametrize(
    ("departement", "region", "name", "prefecture"),
    [
        ("45", "24", "Loiret", "Orléans"),
        ("35", "53", "Ille-et-Vilaine", "Rennes"),
        ("974", "04", "La Réunion", "Saint-Denis"),
        ("44", "52", "Loire-Atlantique", "Nantes"),
        ("2A", "94", "Corse-du-Sud", "Ajaccio"),
        ("90", "27", "Territoire de Belfort", "Belfort"),
        ("59", "32", "Nord", "Lille"),
    ],
)
def test_known_departements_sit_in_their_region(departement: str, region: str, name: str, prefecture: str) -> None:
    found = geo.region_of_departement(departement)
    assert found is not None and found.code == region
    info = geo.departement(departement)
    assert (info.name, info.prefecture, info.region_code) == (name, prefecture, region)
    assert departement in [d.code for d in geo.departements_of_region(region)]


def test_unknown_codes_say_so() -> None:
    assert geo.region_of_departement("HORS") is None
    with pytest.raises(NotFoundError):
        geo.region("99")
    with pytest.raises(NotFoundError):
        geo.region_map([])
    assert geo.main_region(["HORS"]) is None
    assert geo.main_region(["44", "44", "85", "35", "HORS"]).code == "52"  # type: ignore[union-attr]


def test_the_outlines_asset_covers_every_departement_and_says_where_it_comes_from() -> None:
    data = json.loads(geo.OUTLINES.read_text(encoding="utf-8"))
    assert set(data["departements"]) == {d.code for r in geo.regions() for d in r.departements}
    assert data["about"]["missing"] == []
    assert "CC BY 4.0" in data["about"]["licence"] and "ODbL" in data["about"]["licence"] and data["about"]["rebuild"]
    assert "OpenStreetMap" in data["about"]["credit"]
    assert geo.OUTLINES.stat().st_size < 250_000


def test_loiret_contains_orleans_and_each_prefecture_lies_in_its_own_departement() -> None:
    centre = geo.region_map([d.code for d in geo.departements_of_region("24")])
    loiret = next(s for s in centre.shapes if s.code == "45")
    assert loiret.contains(*centre.project(47.903, 1.909))
    assert not loiret.contains(*centre.project(47.391, 0.689))  # Tours
    for info in geo.departements_of_region("24"):
        (xmin, xmax), (ymin, ymax) = centre.x_range, centre.y_range
        x, y = centre.project(info.lat, info.lon)
        assert xmin < x < xmax and ymin < y < ymax
        own = next(s for s in centre.shapes if s.code == info.code)
        assert own.contains(x, y), info.prefecture
        assert own.label == f"{info.name} ({info.code})"
    # Every préfecture, overseas included, is inside its own outline (the georeferencing check).
    for region in geo.regions():
        codes = [d.code for d in region.departements]
        drawn = geo.region_map(codes)
        for info in region.departements:
            shape = next(s for s in drawn.shapes if s.code == info.code)
            assert shape.contains(*drawn.project(info.lat, info.lon)), info.prefecture


def test_the_map_is_in_kilometres_and_neighbours_get_different_tints() -> None:
    loire = geo.region_map([d.code for d in geo.departements_of_region("52")])
    assert len(loire.shapes) == 5 and all(s.has_outline for s in loire.shapes)
    nantes, angers = loire.project(47.218, -1.554), loire.project(47.471, -0.547)
    assert 75 < ((nantes[0] - angers[0]) ** 2 + (nantes[1] - angers[1]) ** 2) ** 0.5 < 85  # about 80 km
    tint = {s.code: s.tint for s in loire.shapes}
    for a, b in [("44", "49"), ("44", "85"), ("49", "85"), ("49", "53"), ("49", "72"), ("53", "72")]:
        assert tint[a] != tint[b]
    for shape in loire.shapes:
        assert shape.contains(shape.label_x, shape.label_y)


@pytest.mark.parametrize(
    ("code", "inside", "outside"),
    [
        ("974", (-21.34, 55.48), (-20.16, 57.50)),  # Saint-Pierre of La Réunion; Port-Louis, Mauritius
        ("973", (3.64, -54.03), (5.85, -55.20)),  # Maripasoula, Guyane; Paramaribo, Suriname
        ("972", (14.47, -60.87), (13.16, -61.23)),  # Le Marin, Martinique; Kingstown, Saint-Vincent
        ("971", (16.24, -61.53), (15.30, -61.39)),  # Pointe-à-Pitre; Roseau, Dominique
        ("976", (-12.78, 45.23), (-11.70, 43.26)),  # Mamoudzou; Moroni, Comores
    ],
)
def test_an_overseas_region_is_drawn_from_its_own_outline(
    code: str, inside: tuple[float, float], outside: tuple[float, float]
) -> None:
    drawn = geo.region_map([code])
    (shape,) = drawn.shapes
    assert shape.has_outline and drawn.missing_outlines == ()
    assert shape.contains(*drawn.project(*inside)) and not shape.contains(*drawn.project(*outside))


@pytest.mark.parametrize(
    ("lat", "lon", "inside"),
    [
        (47.218, -1.554, True),  # Nantes
        (41.919, 8.737, True),  # Ajaccio
        (-21.34, 55.48, True),  # Saint-Pierre de La Réunion
        (3.64, -54.03, True),  # Maripasoula, Guyane, far from Cayenne
        (80.0, -1.5, False),
        (40.416, -3.704, False),  # Madrid
        (float("nan"), 2.0, False),
    ],
)
def test_is_in_france(lat: float, lon: float, inside: bool) -> None:
    assert geo.is_in_france(lat, lon) is inside
