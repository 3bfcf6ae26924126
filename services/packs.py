"""Conference packs: one human-editable YAML file holding a whole edition's setup (format ess-conference-pack/1).

Its sections: `edition` (settings), `themes`, `orientations`, `projects`, `stands`, `key_figures`,
`support_schemes`, `questionnaire` (README, « Éditions et packs de conférence »). `read_pack` checks a pack
completely and reports every problem in French before anything is written; services.reference_data.load_pack writes it.
No database here: the checks are pure, so the wizard, the command line and the tests share them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import yaml

from models import EditionStatus
from services import geo
from services.errors import ValidationError
from services.questionnaires import check_definition

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


@dataclass
class Pack:
    """A checked conference pack (the YAML's sections, values normalised)."""

    edition: dict[str, Any]
    themes: list[dict[str, Any]]
    orientations: list[dict[str, Any]] = field(default_factory=list)
    projects: list[dict[str, Any]] = field(default_factory=list)
    stands: list[dict[str, Any]] = field(default_factory=list)
    key_figures: list[dict[str, Any]] = field(default_factory=list)
    support_schemes: list[dict[str, Any]] = field(default_factory=list)
    questionnaire: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"format": PACK_FORMAT, "edition": edition_for_yaml(self.edition)}
        data |= {
            "themes": self.themes,
            "orientations": self.orientations,
            "projects": self.projects,
            "stands": self.stands,
            "key_figures": self.key_figures,
            "support_schemes": self.support_schemes,
        }
        if self.questionnaire is not None:
            data["questionnaire"] = self.questionnaire
        return data


def edition_for_yaml(edition: dict[str, Any]) -> dict[str, Any]:
    out = dict(edition)
    for key in ("start_date", "end_date"):
        if isinstance(out.get(key), date):
            out[key] = out[key].isoformat()
    return out


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _date(value: object) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip())


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def need(self, ok: bool, message: str) -> bool:
        if not ok:
            self.problems.append(message)
        return ok

    def text(self, row: dict[str, Any], key: str, where: str, *, limit: int, required: bool = True) -> str:
        value = _text(row.get(key))
        if required and not value:
            self.problems.append(f"{where} : « {key} » manquant.")
        elif len(value) > limit:
            self.problems.append(f"{where} : « {key} » dépasse {limit} caractères.")
        return value

    def code(self, row: dict[str, Any], where: str, seen: set[str], *, key: str = "code", limit: int = 40) -> str:
        value = _text(row.get(key))
        if not CODE_RE.match(value) or len(value) > limit:
            self.problems.append(
                f"{where} : code « {value} » invalide (lettres, chiffres, - _ . ; {limit} caractères au plus)."
            )
        elif value in seen:
            self.problems.append(f"{where} : code « {value} » en double.")
        seen.add(value)
        return value


def _rows(data: dict[str, Any], key: str, checker: _Checker) -> list[dict[str, Any]]:
    rows = data.get(key) or []
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        checker.problems.append(f"La section « {key} » doit être une liste d'éléments.")
        return []
    return rows


def check_edition_settings(values: dict[str, Any], *, checker: _Checker | None = None) -> dict[str, Any]:
    """Normalised edition settings, or ValidationError listing what is wrong (the wizard and the packs share it)."""
    own = checker is None
    c = checker or _Checker()
    where = "Édition"
    slug = _text(values.get("slug")).lower()
    c.need(
        bool(SLUG_RE.match(slug)),
        f"{where} : identifiant « {slug} » invalide (3 à 60 caractères : minuscules, chiffres et tirets, "
        "par exemple centre-val-de-loire-2024).",
    )
    region_code = _text(values.get("region_code"))
    c.need(
        geo.region_name(region_code) != "", f"{where} : code de Région « {region_code} » inconnu (code officiel INSEE)."
    )
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
    organisers = values.get("organisers") or []
    if isinstance(organisers, str):
        organisers = [line for line in organisers.splitlines()]
    organisers = [_text(o) for o in organisers if _text(o)]
    c.need(all(len(o) <= 200 for o in organisers), f"{where} : un organisateur dépasse 200 caractères.")
    try:
        given = values.get("retention_months")
        retention = 24 if given in (None, "") else int(given)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        retention = 0
    c.need(1 <= retention <= 120, f"{where} : la durée de conservation doit aller de 1 à 120 mois.")
    status = _text(values.get("status")) or EditionStatus.DRAFT.value
    c.need(status in STATUS_LABELS, f"{where} : statut « {status} » inconnu.")
    base_url = _text(values.get("public_base_url"))
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


def _check_themes(rows: list[dict[str, Any]], c: _Checker) -> list[dict[str, Any]]:
    themes: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, row in enumerate(rows, start=1):
        where = f"Thème {i}"
        code = c.code(row, where, seen)
        color = _text(row.get("color"))
        c.need(bool(COLOR_RE.match(color)), f"{where} : couleur « {color} » invalide (forme #1A2B3C).")
        themes.append(
            {
                "code": code,
                "label": c.text(row, "label", where, limit=200),
                "short_label": c.text(row, "short_label", where, limit=60),
                "color": color,
                "description": c.text(row, "description", where, limit=4000, required=False),
            }
        )
    return themes


def _strictly(
    check: Callable[[list[dict[str, Any]], _Checker], list[dict[str, Any]]], rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """One section checked on its own (the wizard's tables): its rows, or PackError with every problem."""
    c = _Checker()
    checked = check(rows, c)
    if c.problems:
        raise PackError(c.problems)
    return checked


def check_themes(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An edition's themes checked as in a pack (codes unique, lengths, colours); PackError lists the problems."""
    return _strictly(_check_themes, rows)


def _check_figures(rows: list[dict[str, Any]], c: _Checker) -> list[dict[str, Any]]:
    figures: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, row in enumerate(rows, start=1):
        where = f"Chiffre clé {i}"
        code = c.code(row, where, seen)
        try:
            value = float(row.get("value"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            value = 0.0
            c.problems.append(f"{where} ({code}) : la valeur n'est pas un nombre.")
        year = row.get("year")
        year_text = "" if year is None else str(year).strip().removesuffix(".0")
        c.need(year_text == "" or year_text.isdigit(), f"{where} ({code}) : année invalide.")
        figures.append(
            {
                "code": code,
                "label": c.text(row, "label", where, limit=200),
                "value": int(value) if value.is_integer() else value,
                "unit": c.text(row, "unit", where, limit=40, required=False),
                "year": int(year_text) if year_text.isdigit() else None,
                "source": c.text(row, "source", where, limit=1000, required=False),
                "short_label": c.text(row, "short_label", where, limit=40, required=False),
            }
        )
    return figures


def _check_schemes(rows: list[dict[str, Any]], c: _Checker) -> list[dict[str, Any]]:
    schemes: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, row in enumerate(rows, start=1):
        where = f"Dispositif {i}"
        schemes.append(
            {
                "code": c.code(row, where, seen),
                "name": c.text(row, "name", where, limit=200),
                "provider": c.text(row, "provider", where, limit=40, required=False),
                "description": c.text(row, "description", where, limit=4000, required=False),
            }
        )
    return schemes


def check_key_figures(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An edition's key figures checked as in a pack; PackError lists the problems."""
    return _strictly(_check_figures, rows)


def check_support_schemes(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An edition's support schemes checked as in a pack; PackError lists the problems."""
    return _strictly(_check_schemes, rows)


def parse_pack(data: object) -> Pack:
    """Check a pack's content (as read from YAML) completely; PackError lists every problem in French."""
    c = _Checker()
    if not isinstance(data, dict):
        raise PackError(["Le fichier ne contient pas un pack de conférence (un dictionnaire YAML est attendu)."])
    if data.get("format") != PACK_FORMAT:
        raise PackError([f"Format « {data.get('format')} » non pris en charge (attendu : {PACK_FORMAT})."])
    raw_edition = data.get("edition")
    if not isinstance(raw_edition, dict):
        raise PackError(["La section « edition » manque."])
    edition = check_edition_settings(raw_edition, checker=c)
    region_deps = set(geo.departement_codes(edition["region_code"]))

    raw_themes = _rows(data, "themes", c)
    c.need(
        MIN_THEMES <= len(raw_themes) <= MAX_THEMES,
        f"Il faut de {MIN_THEMES} à {MAX_THEMES} thèmes (le pack en compte {len(raw_themes)}).",
    )
    themes = _check_themes(raw_themes, c)
    theme_codes = {t["code"] for t in themes}

    orientations: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, row in enumerate(_rows(data, "orientations", c), start=1):
        where = f"Orientation {i}"
        code = c.code(row, where, seen, limit=20)
        theme = _text(row.get("theme"))
        c.need(theme in theme_codes, f"{where} ({code}) : thème « {theme} » absent du pack.")
        orientations.append(
            {
                "code": code,
                "theme": theme,
                "title": c.text(row, "title", where, limit=300),
                "body": c.text(row, "body", where, limit=8000, required=False),
            }
        )

    projects: list[dict[str, Any]] = []
    seen = set()
    for i, row in enumerate(_rows(data, "projects", c), start=1):
        where = f"Projet {i}"
        code = c.code(row, where, seen)
        dep = _text(row.get("departement"))
        c.need(
            dep in region_deps, f"{where} ({code}) : le département « {dep} » n'est pas dans la Région de l'édition."
        )
        coords: dict[str, float | None] = {}
        for key, low, high in (("lat", -90.0, 90.0), ("lon", -180.0, 180.0)):
            value = row.get(key)
            try:
                coords[key] = None if value in (None, "") else float(value)
            except (TypeError, ValueError):
                coords[key] = None
                c.problems.append(f"{where} ({code}) : « {key} » n'est pas un nombre.")
            if coords[key] is not None and not low <= float(coords[key] or 0) <= high:
                c.problems.append(f"{where} ({code}) : « {key} » hors limites.")
        projects.append(
            {
                "code": code,
                "name": c.text(row, "name", where, limit=160),
                "carrier": c.text(row, "carrier", where, limit=200),
                "territory": c.text(row, "territory", where, limit=200),
                "departement": dep,
                "description": c.text(row, "description", where, limit=4000, required=False),
                "support": c.text(row, "support", where, limit=4000, required=False),
                **coords,
            }
        )
    project_codes = {p["code"] for p in projects}

    stands: list[dict[str, Any]] = []
    seen = set()
    for i, row in enumerate(_rows(data, "stands", c), start=1):
        where = f"Stand {i}"
        code = c.code(row, where, seen, limit=20).upper()
        theme = _text(row.get("theme"))
        c.need(theme in theme_codes, f"{where} ({code}) : thème « {theme} » absent du pack.")
        project = _text(row.get("project")) or None
        c.need(project is None or project in project_codes, f"{where} ({code}) : projet « {project} » absent du pack.")
        try:
            position = int(row.get("position") or i)
        except (TypeError, ValueError):
            position = i
        stands.append(
            {
                "code": code,
                "name": c.text(row, "name", where, limit=160),
                "experience": c.text(row, "experience", where, limit=300, required=False),
                "carrier": c.text(row, "carrier", where, limit=200, required=False),
                "theme": theme,
                "description": c.text(row, "description", where, limit=4000, required=False),
                "question": c.text(row, "question", where, limit=1000, required=False),
                "position": position,
                "project": project,
            }
        )

    figures = _check_figures(_rows(data, "key_figures", c), c)
    schemes = _check_schemes(_rows(data, "support_schemes", c), c)

    questionnaire = data.get("questionnaire")
    if questionnaire is not None:
        if not isinstance(questionnaire, dict):
            c.problems.append("La section « questionnaire » doit décrire un questionnaire.")
            questionnaire = None
        else:
            c.need(bool(SLUG_RE.match(_text(questionnaire.get("slug")))), "Questionnaire : identifiant invalide.")
            c.need(bool(_text(questionnaire.get("title"))), "Questionnaire : titre manquant.")
            for section in questionnaire.get("sections") or []:
                section_theme = section.get("theme") if isinstance(section, dict) else None
                c.need(
                    section_theme in (None, "") or section_theme in theme_codes,
                    f"Questionnaire : thème « {section_theme} » absent du pack.",
                )
            c.problems += [f"Questionnaire : {p}" for p in check_definition(questionnaire)]

    if c.problems:
        raise PackError(c.problems)
    return Pack(edition, themes, orientations, projects, stands, figures, schemes, questionnaire)


def read_pack(content: bytes | str) -> Pack:
    """A pack from the bytes of its YAML file (an upload or a file on disk), checked."""
    if len(content) > MAX_PACK_BYTES:
        raise PackError([f"Fichier trop volumineux (au plus {MAX_PACK_BYTES // 1_000_000} Mo)."])
    text = content.decode("utf-8", errors="strict") if isinstance(content, bytes) else content
    try:
        # No alias expansion worth the name in a pack: refuse the « billion laughs » kind outright.
        if text.count("*") and re.search(r"(^|\s)\*[A-Za-z0-9_-]+", text):
            raise PackError(["Les alias YAML (*nom) ne sont pas acceptés dans un pack."])
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (ligne {mark.line + 1})" if mark is not None else ""
        raise PackError([f"Le fichier n'est pas un YAML lisible{where}."]) from exc
    return parse_pack(data)


def _load_yaml(content: bytes | str) -> object:
    """YAML text read safely: bounded, no alias, a French message for what cannot be read."""
    if len(content) > MAX_PACK_BYTES:
        raise PackError([f"Fichier trop volumineux (au plus {MAX_PACK_BYTES // 1_000_000} Mo)."])
    text = content.decode("utf-8", errors="strict") if isinstance(content, bytes) else content
    if re.search(r"(^|\s)\*[A-Za-z0-9_-]+", text):
        raise PackError(["Les alias YAML (*nom) ne sont pas acceptés."])
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (ligne {mark.line + 1})" if mark is not None else ""
        raise PackError([f"Le texte n'est pas un YAML lisible{where}."]) from exc


def read_questionnaire(content: bytes | str, *, theme_codes: set[str]) -> dict[str, Any]:
    """A questionnaire definition (a pack's `questionnaire` section, as YAML), checked against the edition's
    theme codes; PackError lists the problems."""
    data = _load_yaml(content)
    if isinstance(data, dict) and set(data) == {"questionnaire"}:
        data = data["questionnaire"]
    if not isinstance(data, dict):
        raise PackError(["Le texte ne décrit pas un questionnaire (slug, title, sections)."])
    c = _Checker()
    c.need(bool(SLUG_RE.match(_text(data.get("slug")))), "Questionnaire : identifiant invalide.")
    c.need(bool(_text(data.get("title"))), "Questionnaire : titre manquant.")
    sections = data.get("sections")
    c.need(isinstance(sections, list) and bool(sections), "Questionnaire : aucune partie (sections).")
    for section in sections if isinstance(sections, list) else []:
        if not isinstance(section, dict) or not isinstance(section.get("questions"), list):
            c.problems.append("Questionnaire : chaque partie a un titre (title) et des questions (questions).")
            continue
        theme = section.get("theme")
        c.need(theme in (None, "") or theme in theme_codes, f"Questionnaire : thème « {theme} » inconnu.")
        c.need(bool(_text(section.get("title"))), "Questionnaire : une partie n'a pas de titre.")
    if not c.problems:
        c.problems += [f"Questionnaire : {p}" for p in check_definition(data)]
    if c.problems:
        raise PackError(c.problems)
    return data


def dump_pack(pack: Pack) -> str:
    """The pack as YAML text, readable and editable by hand."""
    header = (
        f"# Pack de conférence ({PACK_FORMAT}) : une édition de la conférence régionale de l'ESS.\n"
        "# Importer : python manage.py edition import FICHIER (ou « Éditions » dans l'application).\n"
    )
    body: str = yaml.safe_dump(pack.as_dict(), allow_unicode=True, sort_keys=False, width=110)
    return header + body
