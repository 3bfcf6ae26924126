"""Conference packs: one human-editable YAML file holding a whole edition's setup (format ess-conference-pack/1).

Its sections: `edition` (settings), `themes`, `orientations`, `projects`, `stands`, `key_figures`,
`support_schemes`, `questionnaire` (README, « Éditions et packs de conférence »). `read_pack` checks a pack
completely and reports every problem in French before anything is written; services.reference_data.load_pack
writes it. No database here: the checks are pure, so the wizard, the command line and the tests share them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import yaml

from services import geo
from services.packs.checks import (
    MAX_PACK_BYTES,
    MAX_THEMES,
    MIN_THEMES,
    PACK_FORMAT,
    SLUG_RE,
    Checker,
    PackError,
    check_edition_settings,
    check_figure_rows,
    check_scheme_rows,
    check_theme_rows,
    each_row,
    section_rows,
    text_of,
)
from services.questionnaires import check_definition


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


def _orientation(c: Checker, row: dict[str, Any], where: str, seen: set[str], theme_codes: set[str]) -> dict[str, Any]:
    code = c.code(row, where, seen, limit=20)
    theme = text_of(row.get("theme"))
    c.need(theme in theme_codes, f"{where} ({code}) : thème « {theme} » absent du pack.")
    return {
        "code": code,
        "theme": theme,
        "title": c.text(row, "title", where, limit=300),
        "body": c.text(row, "body", where, limit=8000, required=False),
    }


def _coordinates(c: Checker, row: dict[str, Any], where: str, code: str) -> dict[str, float | None]:
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
    return coords


def _project(c: Checker, row: dict[str, Any], where: str, seen: set[str], region_deps: set[str]) -> dict[str, Any]:
    code = c.code(row, where, seen)
    dep = text_of(row.get("departement"))
    c.need(dep in region_deps, f"{where} ({code}) : le département « {dep} » n'est pas dans la Région de l'édition.")
    coords = _coordinates(c, row, where, code)
    return {
        "code": code,
        "name": c.text(row, "name", where, limit=160),
        "carrier": c.text(row, "carrier", where, limit=200),
        "territory": c.text(row, "territory", where, limit=200),
        "departement": dep,
        "description": c.text(row, "description", where, limit=4000, required=False),
        "support": c.text(row, "support", where, limit=4000, required=False),
        **coords,
    }


def _stand(
    c: Checker, row: dict[str, Any], where: str, seen: set[str], index: int, *, known: tuple[set[str], set[str]]
) -> dict[str, Any]:
    theme_codes, project_codes = known
    code = c.code(row, where, seen, limit=20).upper()
    theme = text_of(row.get("theme"))
    c.need(theme in theme_codes, f"{where} ({code}) : thème « {theme} » absent du pack.")
    project = text_of(row.get("project")) or None
    c.need(project is None or project in project_codes, f"{where} ({code}) : projet « {project} » absent du pack.")
    try:
        position = int(row.get("position") or index)
    except (TypeError, ValueError):
        position = index
    return {
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


def _pack_questionnaire(c: Checker, questionnaire: object, theme_codes: set[str]) -> dict[str, Any] | None:
    """The pack's questionnaire section checked against the pack's themes (None when it has none)."""
    if questionnaire is None:
        return None
    if not isinstance(questionnaire, dict):
        c.problems.append("La section « questionnaire » doit décrire un questionnaire.")
        return None
    c.need(bool(SLUG_RE.match(text_of(questionnaire.get("slug")))), "Questionnaire : identifiant invalide.")
    c.need(bool(text_of(questionnaire.get("title"))), "Questionnaire : titre manquant.")
    for section in questionnaire.get("sections") or []:
        section_theme = section.get("theme") if isinstance(section, dict) else None
        c.need(
            section_theme in (None, "") or section_theme in theme_codes,
            f"Questionnaire : thème « {section_theme} » absent du pack.",
        )
    c.problems += [f"Questionnaire : {p}" for p in check_definition(questionnaire)]
    return questionnaire


def parse_pack(data: object) -> Pack:
    """Check a pack's content (as read from YAML) completely; PackError lists every problem in French."""
    c = Checker()
    if not isinstance(data, dict):
        raise PackError(["Le fichier ne contient pas un pack de conférence (un dictionnaire YAML est attendu)."])
    if data.get("format") != PACK_FORMAT:
        raise PackError([f"Format « {data.get('format')} » non pris en charge (attendu : {PACK_FORMAT})."])
    raw_edition = data.get("edition")
    if not isinstance(raw_edition, dict):
        raise PackError(["La section « edition » manque."])
    edition = check_edition_settings(raw_edition, checker=c)
    region_deps = set(geo.departement_codes(edition["region_code"]))

    raw_themes = section_rows(data, "themes", c)
    c.need(
        MIN_THEMES <= len(raw_themes) <= MAX_THEMES,
        f"Il faut de {MIN_THEMES} à {MAX_THEMES} thèmes (le pack en compte {len(raw_themes)}).",
    )
    themes = check_theme_rows(raw_themes, c)
    theme_codes = {t["code"] for t in themes}
    orientations = each_row(
        c,
        section_rows(data, "orientations", c),
        "Orientation",
        lambda c, row, where, seen, _: _orientation(c, row, where, seen, theme_codes),
    )
    projects = each_row(
        c,
        section_rows(data, "projects", c),
        "Projet",
        lambda c, row, where, seen, _: _project(c, row, where, seen, region_deps),
    )
    known = (theme_codes, {p["code"] for p in projects})
    stands = each_row(
        c,
        section_rows(data, "stands", c),
        "Stand",
        lambda c, row, where, seen, i: _stand(c, row, where, seen, i, known=known),
    )
    figures = check_figure_rows(section_rows(data, "key_figures", c), c)
    schemes = check_scheme_rows(section_rows(data, "support_schemes", c), c)
    questionnaire = _pack_questionnaire(c, data.get("questionnaire"), theme_codes)
    if c.problems:
        raise PackError(c.problems)
    return Pack(edition, themes, orientations, projects, stands, figures, schemes, questionnaire)


def _load_yaml(content: bytes | str, *, aliases_refused: str, unreadable: str) -> object:
    """YAML text read safely: bounded, no alias, a French message for what cannot be read."""
    if len(content) > MAX_PACK_BYTES:
        raise PackError([f"Fichier trop volumineux (au plus {MAX_PACK_BYTES // 1_000_000} Mo)."])
    text = content.decode("utf-8", errors="strict") if isinstance(content, bytes) else content
    # No alias expansion worth the name in a pack: refuse the « billion laughs » kind outright.
    if text.count("*") and re.search(r"(^|\s)\*[A-Za-z0-9_-]+", text):
        raise PackError([aliases_refused])
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (ligne {mark.line + 1})" if mark is not None else ""
        raise PackError([unreadable.format(where=where)]) from exc


def read_pack(content: bytes | str) -> Pack:
    """A pack from the bytes of its YAML file (an upload or a file on disk), checked."""
    data = _load_yaml(
        content,
        aliases_refused="Les alias YAML (*nom) ne sont pas acceptés dans un pack.",
        unreadable="Le fichier n'est pas un YAML lisible{where}.",
    )
    return parse_pack(data)


def read_questionnaire(content: bytes | str, *, theme_codes: set[str]) -> dict[str, Any]:
    """A questionnaire definition (a pack's `questionnaire` section, as YAML), checked against the edition's
    theme codes; PackError lists the problems."""
    data = _load_yaml(
        content,
        aliases_refused="Les alias YAML (*nom) ne sont pas acceptés.",
        unreadable="Le texte n'est pas un YAML lisible{where}.",
    )
    if isinstance(data, dict) and set(data) == {"questionnaire"}:
        data = data["questionnaire"]
    if not isinstance(data, dict):
        raise PackError(["Le texte ne décrit pas un questionnaire (slug, title, sections)."])
    c = Checker()
    c.need(bool(SLUG_RE.match(text_of(data.get("slug")))), "Questionnaire : identifiant invalide.")
    c.need(bool(text_of(data.get("title"))), "Questionnaire : titre manquant.")
    sections = data.get("sections")
    c.need(isinstance(sections, list) and bool(sections), "Questionnaire : aucune partie (sections).")
    for section in sections if isinstance(sections, list) else []:
        if not isinstance(section, dict) or not isinstance(section.get("questions"), list):
            c.problems.append("Questionnaire : chaque partie a un titre (title) et des questions (questions).")
            continue
        theme = section.get("theme")
        c.need(theme in (None, "") or theme in theme_codes, f"Questionnaire : thème « {theme} » inconnu.")
        c.need(bool(text_of(section.get("title"))), "Questionnaire : une partie n'a pas de titre.")
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
