"""An edition written back as a conference pack: its settings, themes, orientations, stands, projects, figures,
support schemes and questionnaire, as they stand in the app (staff edits included)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from models import (
    Edition,
    KeyFigure,
    Orientation,
    Ptce,
    Question,
    Questionnaire,
    QuestionnaireSection,
    Stand,
    SupportScheme,
    Theme,
)
from services.editions.info import EDITION_FIELDS
from services.errors import NotFoundError
from services.packs import Pack, dump_pack

THEME_KEYS = ("code", "label", "short_label", "color", "description")
PROJECT_KEYS = ("code", "name", "carrier", "territory", "departement", "description", "support", "lat", "lon")
SCHEME_KEYS = ("code", "name", "provider", "description")


def _fields(row: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    """The row's columns named in `keys`, in that order (the order a pack writes them)."""
    return {key: getattr(row, key) for key in keys}


def _of_edition(session: Session, model: Any, edition_id: int, *order: Any) -> list[Any]:
    """An edition's rows of one reference table, in the given order."""
    stmt = select(model).where(model.edition_id == edition_id).order_by(*(col(o) for o in order))
    return list(session.exec(stmt).all())


def _stand(s: Stand, theme_code: dict[int | None, str], project_code: dict[int | None, str]) -> dict[str, Any]:
    return {
        **_fields(s, ("code", "name", "experience", "carrier")),
        "theme": theme_code[s.theme_id],
        **_fields(s, ("description", "question", "position")),
        "project": project_code.get(s.ptce_id) if s.ptce_id else None,
    }


def _figure(f: KeyFigure) -> dict[str, Any]:
    value = int(f.value) if float(f.value).is_integer() else f.value
    return {**_fields(f, ("code", "label")), "value": value, **_fields(f, ("unit", "year", "source", "short_label"))}


def export_pack(session: Session, *, edition_id: int) -> Pack:
    """An edition as it stands in the app (staff edits included) as a pack."""
    edition = session.get(Edition, edition_id)
    if edition is None:
        raise NotFoundError("Cette édition n'existe pas.")
    themes = _of_edition(session, Theme, edition_id, Theme.position, Theme.id)
    theme_code = {t.id: t.code for t in themes}
    projects = _of_edition(session, Ptce, edition_id, Ptce.id)
    project_code = {p.id: p.code for p in projects}
    orientations = _of_edition(
        session, Orientation, edition_id, Orientation.theme_id, Orientation.position, Orientation.id
    )
    return Pack(
        edition=edition.model_dump(include=set(EDITION_FIELDS)),
        themes=[_fields(t, THEME_KEYS) for t in themes],
        orientations=[
            {"code": o.code, "theme": theme_code[o.theme_id], "title": o.title, "body": o.body} for o in orientations
        ],
        projects=[_fields(p, PROJECT_KEYS) for p in projects],
        stands=[
            _stand(s, theme_code, project_code)
            for s in _of_edition(session, Stand, edition_id, Stand.position, Stand.code)
        ],
        key_figures=[_figure(f) for f in _of_edition(session, KeyFigure, edition_id, KeyFigure.position, KeyFigure.id)],
        support_schemes=[
            _fields(s, SCHEME_KEYS) for s in _of_edition(session, SupportScheme, edition_id, SupportScheme.id)
        ],
        questionnaire=_export_questionnaire(session, edition_id, theme_code),
    )


def export_pack_text(session: Session, *, edition_id: int) -> str:
    """The edition's pack as YAML text (the download of the « Éditions » page, `manage.py edition export`)."""
    return dump_pack(export_pack(session=session, edition_id=edition_id))


def _export_questionnaire(
    session: Session, edition_id: int, theme_code: dict[int | None, str]
) -> dict[str, Any] | None:
    row = session.exec(
        select(Questionnaire).where(Questionnaire.edition_id == edition_id).order_by(col(Questionnaire.id))
    ).first()
    if row is None:
        return None
    sections = session.exec(
        select(QuestionnaireSection)
        .where(QuestionnaireSection.questionnaire_id == row.id)
        .order_by(col(QuestionnaireSection.position))
    ).all()
    questions = session.exec(
        select(Question).where(Question.questionnaire_id == row.id).order_by(col(Question.position))
    ).all()
    return {
        "slug": row.slug,
        "title": row.title,
        "description": row.description,
        "sections": [
            {
                "title": s.title,
                "theme": theme_code.get(s.theme_id) if s.theme_id else None,
                "questions": [
                    {
                        "code": q.code,
                        "text": q.text,
                        "type": q.qtype,
                        **({"choices": list(q.choices)} if q.choices else {}),
                        "required": q.required,
                    }
                    for q in questions
                    if q.section_id == s.id
                ],
            }
            for s in sections
        ],
    }
