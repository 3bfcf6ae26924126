"""The checks a conference pack's sections pass, shared by the packs, the wizard's forms and tables.

Pure (no database): every problem is collected in French, then raised at once as PackError.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from models import EditionStatus
from services import geo
from services.errors import ValidationError

PACK_FORMAT = "ess-conference-pack/1"
MAX_PACK_BYTES = 2_000_000
MIN_THEMES, MAX_THEMES = 2, 12
MAX_PROBLEMS_SHOWN = 20
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{2,59}$")
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
COLOR_RE = re.compile(r"^#[0-9A-Fa-f]{6}$")
STATUS_LABELS = {
    EditionStatus.DRAFT.value: "en préparation",
    EditionStatus.OPEN.value: "ouverte",
    EditionStatus.ARCHIVED.value: "archivée",
}


class PackError(ValidationError):
    """A pack refused: every problem found, in French."""

    def __init__(self, problems: list[str]) -> None:
        shown = problems[:MAX_PROBLEMS_SHOWN]
        if len(problems) > len(shown):
            shown.append(f"… et {len(problems) - len(shown)} autre(s) problème(s).")
        self.problems = shown
        super().__init__({f"pack{i}": p for i, p in enumerate(shown)})


def text_of(value: object) -> str:
    return "" if value is None else str(value).strip()


def _date(value: object) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip())


class Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def need(self, ok: bool, message: str) -> bool:
        if not ok:
            self.problems.append(message)
        return ok

    def text(self, row: dict[str, Any], key: str, where: str, *, limit: int, required: bool = True) -> str:
        value = text_of(row.get(key))
        if required and not value:
            self.problems.append(f"{where} : « {key} » manquant.")
        elif len(value) > limit:
            self.problems.append(f"{where} : « {key} » dépasse {limit} caractères.")
        return value

    def code(self, row: dict[str, Any], where: str, seen: set[str], *, key: str = "code", limit: int = 40) -> str:
        value = text_of(row.get(key))
        if not CODE_RE.match(value) or len(value) > limit:
            self.problems.append(
                f"{where} : code « {value} » invalide (lettres, chiffres, - _ . ; {limit} caractères au plus)."
            )
        elif value in seen:
            self.problems.append(f"{where} : code « {value} » en double.")
        seen.add(value)
        return value


def section_rows(data: dict[str, Any], key: str, checker: Checker) -> list[dict[str, Any]]:
    rows = data.get(key) or []
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        checker.problems.append(f"La section « {key} » doit être une liste d'éléments.")
        return []
    return rows


RowCheck = Callable[[Checker, dict[str, Any], str, set[str], int], dict[str, Any]]


def each_row(c: Checker, rows: Iterable[dict[str, Any]], label: str, check: RowCheck) -> list[dict[str, Any]]:
    """Check a section row by row (« Thème 1 », « Thème 2 »…), codes unique within the section."""
    seen: set[str] = set()
    return [check(c, row, f"{label} {i}", seen, i) for i, row in enumerate(rows, start=1)]


def _dates(values: dict[str, Any], c: Checker, where: str) -> tuple[date | None, date | None]:
    start = end = None
    try:
        start = _date(values.get("start_date"))
        end = _date(values.get("end_date"))
    except ValueError:
        c.problems.append(
            f"{where} : date illisible (forme attendue dans le fichier : AAAA-MM-JJ, par exemple 2030-05-14)."
        )
    c.need(start is not None, f"{where} : date de début manquante.")
    if start and end:
        c.need(end >= start, f"{where} : la date de fin précède la date de début.")
    return start, end


def _organisers(values: dict[str, Any], c: Checker, where: str) -> list[str]:
    organisers = values.get("organisers") or []
    if isinstance(organisers, str):
        organisers = [line for line in organisers.splitlines()]
    organisers = [text_of(o) for o in organisers if text_of(o)]
    c.need(all(len(o) <= 200 for o in organisers), f"{where} : un organisateur dépasse 200 caractères.")
    return organisers


def _retention(values: dict[str, Any], c: Checker, where: str) -> int:
    try:
        given = values.get("retention_months")
        retention = 24 if given in (None, "") else int(given)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        retention = 0
    c.need(1 <= retention <= 120, f"{where} : la durée de conservation doit aller de 1 à 120 mois.")
    return retention


def check_edition_settings(values: dict[str, Any], *, checker: Checker | None = None) -> dict[str, Any]:
    """Normalised edition settings, or ValidationError listing what is wrong (the wizard and the packs share it)."""
    own = checker is None
    c = checker or Checker()
    where = "Édition"
    slug = text_of(values.get("slug")).lower()
    c.need(
        bool(SLUG_RE.match(slug)),
        f"{where} : identifiant « {slug} » invalide (3 à 60 caractères : minuscules, chiffres et tirets, "
        "par exemple centre-val-de-loire-2024).",
    )
    region_code = text_of(values.get("region_code"))
    c.need(
        geo.region_name(region_code) != "", f"{where} : code de Région « {region_code} » inconnu (code officiel INSEE)."
    )
    start, end = _dates(values, c, where)
    organisers = _organisers(values, c, where)
    retention = _retention(values, c, where)
    status = text_of(values.get("status")) or EditionStatus.DRAFT.value
    c.need(status in STATUS_LABELS, f"{where} : statut « {status} » inconnu.")
    base_url = text_of(values.get("public_base_url"))
    c.need(
        not base_url or base_url.startswith(("https://", "http://")),
        f"{where} : l'adresse publique doit commencer par https:// (ou http://).",
    )
    settings = {
        "slug": slug,
        "name": c.text(values, "name", where, limit=200),
        "region_code": region_code,
        "city": c.text(values, "city", where, limit=120, required=False),
        "venue": c.text(values, "venue", where, limit=200, required=False),
        "start_date": start,
        "end_date": end,
        "organisers": organisers,
        "introduction": c.text(values, "introduction", where, limit=4000, required=False),
        "document_context": c.text(values, "document_context", where, limit=4000, required=False),
        "projects_label": c.text(values, "projects_label", where, limit=60, required=False) or "Projets",
        "projects_intro": c.text(values, "projects_intro", where, limit=2000, required=False),
        "public_base_url": base_url.rstrip("/"),
        "privacy_controller": c.text(values, "privacy_controller", where, limit=300),
        "privacy_contact": c.text(values, "privacy_contact", where, limit=300),
        "retention_months": retention,
        "status": status,
    }
    if own and c.problems:
        raise PackError(c.problems)
    return settings


def _theme(c: Checker, row: dict[str, Any], where: str, seen: set[str], _: int) -> dict[str, Any]:
    code = c.code(row, where, seen)
    color = text_of(row.get("color"))
    c.need(bool(COLOR_RE.match(color)), f"{where} : couleur « {color} » invalide (forme #1A2B3C).")
    return {
        "code": code,
        "label": c.text(row, "label", where, limit=200),
        "short_label": c.text(row, "short_label", where, limit=60),
        "color": color,
        "description": c.text(row, "description", where, limit=4000, required=False),
    }


def _figure(c: Checker, row: dict[str, Any], where: str, seen: set[str], _: int) -> dict[str, Any]:
    code = c.code(row, where, seen)
    try:
        value = float(row.get("value"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = 0.0
        c.problems.append(f"{where} ({code}) : la valeur n'est pas un nombre.")
    year = row.get("year")
    year_text = "" if year is None else str(year).strip().removesuffix(".0")
    c.need(year_text == "" or year_text.isdigit(), f"{where} ({code}) : année invalide.")
    return {
        "code": code,
        "label": c.text(row, "label", where, limit=200),
        "value": int(value) if value.is_integer() else value,
        "unit": c.text(row, "unit", where, limit=40, required=False),
        "year": int(year_text) if year_text.isdigit() else None,
        "source": c.text(row, "source", where, limit=1000, required=False),
        "short_label": c.text(row, "short_label", where, limit=40, required=False),
    }


def _scheme(c: Checker, row: dict[str, Any], where: str, seen: set[str], _: int) -> dict[str, Any]:
    return {
        "code": c.code(row, where, seen),
        "name": c.text(row, "name", where, limit=200),
        "provider": c.text(row, "provider", where, limit=40, required=False),
        "description": c.text(row, "description", where, limit=4000, required=False),
    }


def check_theme_rows(rows: list[dict[str, Any]], c: Checker) -> list[dict[str, Any]]:
    return each_row(c, rows, "Thème", _theme)


def check_figure_rows(rows: list[dict[str, Any]], c: Checker) -> list[dict[str, Any]]:
    return each_row(c, rows, "Chiffre clé", _figure)


def check_scheme_rows(rows: list[dict[str, Any]], c: Checker) -> list[dict[str, Any]]:
    return each_row(c, rows, "Dispositif", _scheme)


def _strictly(
    check: Callable[[list[dict[str, Any]], Checker], list[dict[str, Any]]], rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """One section checked on its own (the wizard's tables): its rows, or PackError with every problem."""
    c = Checker()
    checked = check(rows, c)
    if c.problems:
        raise PackError(c.problems)
    return checked


def check_themes(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An edition's themes checked as in a pack (codes unique, lengths, colours); PackError lists the problems."""
    return _strictly(check_theme_rows, rows)


def check_key_figures(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An edition's key figures checked as in a pack; PackError lists the problems."""
    return _strictly(check_figure_rows, rows)


def check_support_schemes(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An edition's support schemes checked as in a pack; PackError lists the problems."""
    return _strictly(check_scheme_rows, rows)
