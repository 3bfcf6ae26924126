"""Conference editions: what each one is, its conference pack (YAML) in and out, copies, settings, archiving.

A conference pack (services.packs) holds a whole edition's setup; services.reference_data.load_pack creates the
edition or brings it up to its pack without undoing what staff changed in the app; `export_pack` writes an edition
back as a pack, so a Région can hand its setup to another, or start its next edition from this one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import yaml
from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from models import (
    Contribution,
    ContributionGroup,
    Edition,
    EditionStatus,
    KeyFigure,
    Orientation,
    Ptce,
    Question,
    Questionnaire,
    QuestionnaireSection,
    Stand,
    SupportScheme,
    Theme,
    utcnow,
)
from services import geo
from services.audit import record_audit_event
from services.errors import NotFoundError, ValidationError
from services.formatting import format_date
from services.packs import (
    MAX_THEMES,
    MIN_THEMES,
    PACK_FORMAT,
    STATUS_LABELS,
    Pack,
    check_edition_settings,
    check_key_figures,
    check_support_schemes,
    check_themes,
    dump_pack,
    edition_for_yaml,
    parse_pack,
    read_questionnaire,
)
from services.permissions import Permission, require_permission
from services.questionnaires import questionnaire_in_use, replace_questionnaire_definition
from services.reference_data import load_pack
from services.scope import ARCHIVED, require_open, require_writable  # noqa: F401  (re-exported)


@dataclass(frozen=True)
class EditionInfo:
    """An edition as pages see it: plain, frozen, safe in a session or a shared cache."""

    id: int
    slug: str
    name: str
    region_code: str
    region_name: str
    city: str
    venue: str
    start_date: date
    end_date: date | None
    organisers: tuple[str, ...]
    introduction: str
    document_context: str
    projects_label: str
    projects_intro: str
    public_base_url: str
    privacy_controller: str
    privacy_contact: str
    retention_months: int
    status: str
    is_default: bool

    @property
    def dates_label(self) -> str:
        """14/05/2030, or 14/05/2030 – 15/05/2030 over several days."""
        if self.end_date and self.end_date != self.start_date:
            return f"{format_date(self.start_date)} – {format_date(self.end_date)}"
        return format_date(self.start_date)

    @property
    def place_and_date(self) -> str:
        """« Région · Ville · 14/05/2030 », each part only when known."""
        return " · ".join(part for part in (self.region_name, self.city, self.dates_label) if part)

    @property
    def long_title(self) -> str:
        return f"{self.name} — {self.region_name}" if self.region_name else self.name

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def archived(self) -> bool:
        return self.status == EditionStatus.ARCHIVED.value

    @property
    def open(self) -> bool:
        return self.status == EditionStatus.OPEN.value

    @property
    def year(self) -> int:
        return self.start_date.year


def _info(row: Edition) -> EditionInfo:
    assert row.id is not None
    return EditionInfo(
        id=row.id,
        slug=row.slug,
        name=row.name,
        region_code=row.region_code,
        region_name=geo.region_name(row.region_code),
        city=row.city,
        venue=row.venue,
        start_date=row.start_date,
        end_date=row.end_date,
        organisers=tuple(row.organisers or ()),
        introduction=row.introduction,
        document_context=row.document_context,
        projects_label=row.projects_label,
        projects_intro=row.projects_intro,
        public_base_url=row.public_base_url,
        privacy_controller=row.privacy_controller,
        privacy_contact=row.privacy_contact,
        retention_months=row.retention_months,
        status=row.status,
        is_default=row.is_default,
    )


# ---------------------------------------------------------------------------------------------------------------
# Reading editions


def list_editions(session: Session) -> list[EditionInfo]:
    """Every edition, the most recent first."""
    rows = session.exec(select(Edition).order_by(col(Edition.start_date).desc(), col(Edition.id).desc())).all()
    return [_info(r) for r in rows]


def get_edition(session: Session, *, edition_id: int) -> EditionInfo:
    row = session.get(Edition, edition_id)
    if row is None:
        raise NotFoundError("Cette édition n'existe pas.")
    return _info(row)


def find_edition(session: Session, *, slug: str) -> EditionInfo | None:
    """The edition a URL or a command line names, or None."""
    row = session.exec(select(Edition).where(Edition.slug == (slug or "").strip().lower())).first()
    return _info(row) if row is not None else None


def default_edition(session: Session) -> EditionInfo | None:
    """The edition people reach without naming one: the one marked, else the latest open one, else the latest."""
    row = session.exec(select(Edition).where(col(Edition.is_default))).first()
    if row is None:
        row = session.exec(
            select(Edition)
            .where(Edition.status == EditionStatus.OPEN.value)
            .order_by(col(Edition.start_date).desc(), col(Edition.id).desc())
        ).first()
    if row is None:
        row = session.exec(select(Edition).order_by(col(Edition.start_date).desc(), col(Edition.id).desc())).first()
    return _info(row) if row is not None else None


def previous_edition(session: Session, *, edition_id: int) -> EditionInfo | None:
    """The same Région's edition before this one (for comparisons), or None."""
    current = session.get(Edition, edition_id)
    if current is None:
        return None
    row = session.exec(
        select(Edition)
        .where(Edition.region_code == current.region_code, Edition.start_date < current.start_date)
        .order_by(col(Edition.start_date).desc())
    ).first()
    return _info(row) if row is not None else None


def edition_of_theme(session: Session, *, theme_id: int) -> int | None:
    theme = session.get(Theme, theme_id)
    return theme.edition_id if theme is not None else None


def export_pack(session: Session, *, edition_id: int) -> Pack:
    """An edition as it stands in the app (staff edits included) as a pack."""
    edition = session.get(Edition, edition_id)
    if edition is None:
        raise NotFoundError("Cette édition n'existe pas.")
    themes = session.exec(
        select(Theme).where(Theme.edition_id == edition_id).order_by(col(Theme.position), col(Theme.id))
    ).all()
    theme_code = {t.id: t.code for t in themes}
    projects = session.exec(select(Ptce).where(Ptce.edition_id == edition_id).order_by(col(Ptce.id))).all()
    project_code = {p.id: p.code for p in projects}
    orientations = session.exec(
        select(Orientation)
        .where(Orientation.edition_id == edition_id)
        .order_by(col(Orientation.theme_id), col(Orientation.position), col(Orientation.id))
    ).all()
    stands = session.exec(
        select(Stand).where(Stand.edition_id == edition_id).order_by(col(Stand.position), col(Stand.code))
    ).all()
    figures = session.exec(
        select(KeyFigure).where(KeyFigure.edition_id == edition_id).order_by(col(KeyFigure.position), col(KeyFigure.id))
    ).all()
    schemes = session.exec(
        select(SupportScheme).where(SupportScheme.edition_id == edition_id).order_by(col(SupportScheme.id))
    ).all()
    settings = edition.model_dump(include=set(EDITION_FIELDS))
    return Pack(
        edition=settings,
        themes=[
            {
                "code": t.code,
                "label": t.label,
                "short_label": t.short_label,
                "color": t.color,
                "description": t.description,
            }
            for t in themes
        ],
        orientations=[
            {"code": o.code, "theme": theme_code[o.theme_id], "title": o.title, "body": o.body} for o in orientations
        ],
        projects=[
            {
                "code": p.code,
                "name": p.name,
                "carrier": p.carrier,
                "territory": p.territory,
                "departement": p.departement,
                "description": p.description,
                "support": p.support,
                "lat": p.lat,
                "lon": p.lon,
            }
            for p in projects
        ],
        stands=[
            {
                "code": s.code,
                "name": s.name,
                "experience": s.experience,
                "carrier": s.carrier,
                "theme": theme_code[s.theme_id],
                "description": s.description,
                "question": s.question,
                "position": s.position,
                "project": project_code.get(s.ptce_id) if s.ptce_id else None,
            }
            for s in stands
        ],
        key_figures=[
            {
                "code": f.code,
                "label": f.label,
                "value": int(f.value) if float(f.value).is_integer() else f.value,
                "unit": f.unit,
                "year": f.year,
                "source": f.source,
                "short_label": f.short_label,
            }
            for f in figures
        ],
        support_schemes=[
            {"code": s.code, "name": s.name, "provider": s.provider, "description": s.description} for s in schemes
        ],
        questionnaire=_export_questionnaire(session, edition_id, theme_code),
    )


def export_pack_text(session: Session, *, edition_id: int) -> str:
    """The edition's pack as YAML text (the download of the « Éditions » page, `manage.py edition export`)."""
    return dump_pack(export_pack(session=session, edition_id=edition_id))


EDITION_FIELDS = (
    "slug",
    "name",
    "region_code",
    "city",
    "venue",
    "start_date",
    "end_date",
    "organisers",
    "introduction",
    "document_context",
    "projects_label",
    "projects_intro",
    "public_base_url",
    "privacy_controller",
    "privacy_contact",
    "retention_months",
    "status",
)


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


def import_pack(session: Session, *, actor: str, pack: Pack) -> tuple[EditionInfo, str]:
    """Create the pack's edition, or bring the existing one (same identifier) up to it; (edition, French summary)."""
    require_permission(session=session, actor=actor, permission=Permission.EDITIONS)
    existing = session.exec(select(Edition).where(Edition.slug == pack.edition["slug"])).first()
    if existing is not None and existing.status == EditionStatus.ARCHIVED.value:
        raise ValidationError({"edition": ARCHIVED})
    edition_id, report = load_pack(session=session, pack=pack)
    record_audit_event(
        session=session,
        actor=actor,
        action="edition.import" if existing is None else "edition.reload",
        entity_type="edition",
        entity_id=edition_id,
        after={"slug": pack.edition["slug"], "inserted": sum(report.inserted.values())},
    )
    return get_edition(session=session, edition_id=edition_id), report.summary()


def copy_edition(session: Session, *, actor: str, source_id: int, settings: dict[str, Any]) -> EditionInfo:
    """A new edition (in preparation) carrying forward the source's themes, orientations, stands, projects,
    key figures, support schemes and questionnaire, to edit in the app; `settings` are the new edition's."""
    require_permission(session=session, actor=actor, permission=Permission.EDITIONS)
    source = export_pack(session=session, edition_id=source_id)
    checked = check_edition_settings({**source.edition, **settings, "status": EditionStatus.DRAFT.value})
    if session.exec(select(Edition).where(Edition.slug == checked["slug"])).first() is not None:
        raise ValidationError({"slug": f"L'identifiant « {checked['slug']} » est déjà pris par une autre édition."})
    if source.questionnaire is not None:
        # A questionnaire identifier names its edition's form: the copy gets its own.
        source.questionnaire = {**source.questionnaire, "slug": f"questionnaire-{checked['slug']}"[:60]}
    pack = parse_pack({**source.as_dict(), "edition": edition_for_yaml(checked)})
    edition_id, _ = load_pack(session=session, pack=pack)
    record_audit_event(
        session=session,
        actor=actor,
        action="edition.copy",
        entity_type="edition",
        entity_id=edition_id,
        after={"slug": checked["slug"], "from": source_id},
    )
    return get_edition(session=session, edition_id=edition_id)


def create_blank_edition(
    session: Session, *, actor: str, settings: dict[str, Any], themes: list[dict[str, Any]]
) -> EditionInfo:
    """A new edition from its settings and its themes only (orientations, stands… added in the app)."""
    require_permission(session=session, actor=actor, permission=Permission.EDITIONS)
    checked = check_edition_settings({**settings, "status": EditionStatus.DRAFT.value})
    if session.exec(select(Edition).where(Edition.slug == checked["slug"])).first() is not None:
        raise ValidationError({"slug": f"L'identifiant « {checked['slug']} » est déjà pris par une autre édition."})
    pack = parse_pack({"format": PACK_FORMAT, "edition": edition_for_yaml(checked), "themes": themes})
    edition_id, _ = load_pack(session=session, pack=pack)
    record_audit_event(
        session=session,
        actor=actor,
        action="edition.create",
        entity_type="edition",
        entity_id=edition_id,
        after={"slug": checked["slug"]},
    )
    return get_edition(session=session, edition_id=edition_id)


def update_edition_settings(session: Session, *, actor: str, edition_id: int, values: dict[str, Any]) -> EditionInfo:
    """Change an edition's settings (not its identifier once participants may hold its QR codes)."""
    require_permission(session=session, actor=actor, permission=Permission.EDITIONS)
    row = session.get(Edition, edition_id)
    if row is None:
        raise NotFoundError("Cette édition n'existe pas.")
    before = row.model_dump(include=set(EDITION_FIELDS), mode="json")
    checked = check_edition_settings({**before, **values})
    if checked["slug"] != row.slug:
        taken = session.exec(select(Edition).where(Edition.slug == checked["slug"], Edition.id != edition_id)).first()
        if taken is not None:
            raise ValidationError({"slug": f"L'identifiant « {checked['slug']} » est déjà pris par une autre édition."})
    if row.status == EditionStatus.ARCHIVED.value and checked["status"] == EditionStatus.ARCHIVED.value:
        raise ValidationError({"edition": ARCHIVED + " Rouvrez-la d'abord (statut « ouverte »)."})
    for key, value in checked.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    session.add(row)
    record_audit_event(
        session=session,
        actor=actor,
        action="edition.update",
        entity_type="edition",
        entity_id=edition_id,
        before=before,
        after=row.model_dump(include=set(EDITION_FIELDS), mode="json"),
    )
    session.flush()
    return _info(row)


def set_default_edition(session: Session, *, actor: str, edition_id: int) -> EditionInfo:
    """Make this edition the one participants reach without naming one."""
    require_permission(session=session, actor=actor, permission=Permission.EDITIONS)
    if session.get(Edition, edition_id) is None:
        raise NotFoundError("Cette édition n'existe pas.")
    for row in session.exec(select(Edition)).all():
        row.is_default = row.id == edition_id
        session.add(row)
    record_audit_event(
        session=session, actor=actor, action="edition.default", entity_type="edition", entity_id=edition_id
    )
    session.flush()
    return get_edition(session=session, edition_id=edition_id)


def edition_counts(session: Session, *, edition_id: int) -> dict[str, int]:
    """How many themes, orientations, stands and projects an edition holds (the wizard's checklist)."""

    def n(model: Any) -> int:
        return int(session.exec(select(func.count()).select_from(model).where(model.edition_id == edition_id)).one())

    return {
        "themes": n(Theme),
        "orientations": n(Orientation),
        "stands": n(Stand),
        "projects": n(Ptce),
        "key_figures": n(KeyFigure),
        "questionnaires": n(Questionnaire),
    }


# ---------------------------------------------------------------------------------------------------------------
# Themes, edited in the wizard (the rest of an edition's setup has its own pages: stands, drafting, catalogue)

THEME_FIELDS = ("code", "label", "short_label", "color", "description")


def _theme_snapshot(theme: Theme) -> dict[str, Any]:
    return theme.model_dump(include={"id", "edition_id", *THEME_FIELDS, "position"})


def save_theme(
    session: Session, *, actor: str, edition_id: int, values: dict[str, Any], theme_id: int | None = None
) -> int:
    """Create (theme_id None) or edit one of an edition's themes, checked like a pack's; returns its id."""
    require_permission(session=session, actor=actor, permission=Permission.EDITIONS)
    require_writable(session=session, edition_id=edition_id)
    themes = session.exec(select(Theme).where(Theme.edition_id == edition_id).order_by(col(Theme.position))).all()
    row = next((t for t in themes if t.id == theme_id), None) if theme_id is not None else None
    if theme_id is not None and row is None:
        raise NotFoundError("Ce thème n'existe pas dans cette édition.")
    if row is None and len(themes) >= MAX_THEMES:
        raise ValidationError({"themes": f"Une édition compte au plus {MAX_THEMES} thèmes."})
    others = [{k: getattr(t, k) for k in THEME_FIELDS} for t in themes if row is None or t.id != row.id]
    candidate = {k: values.get(k, getattr(row, k) if row is not None else "") for k in THEME_FIELDS}
    # The same checks as a pack's themes: codes unique in the edition, lengths, colours.
    checked = check_themes([*others, candidate])[-1]
    before = _theme_snapshot(row) if row is not None else None
    if row is None:
        row = Theme(edition_id=edition_id, position=len(themes) + 1, **checked)
    else:
        for key, value in checked.items():
            setattr(row, key, value)
    session.add(row)
    session.flush()
    assert row.id is not None
    record_audit_event(
        session=session,
        actor=actor,
        action="theme.add" if before is None else "theme.edit",
        entity_type="theme",
        entity_id=row.id,
        before=before,
        after=_theme_snapshot(row),
    )
    return row.id


def delete_theme(session: Session, *, actor: str, edition_id: int, theme_id: int) -> int:
    """Remove a theme that nothing uses yet (no orientation, stand, contribution or questionnaire section)."""
    require_permission(session=session, actor=actor, permission=Permission.EDITIONS)
    require_writable(session=session, edition_id=edition_id)
    row = session.get(Theme, theme_id)
    if row is None or row.edition_id != edition_id:
        raise NotFoundError("Ce thème n'existe pas dans cette édition.")
    remaining = int(session.exec(select(func.count()).select_from(Theme).where(Theme.edition_id == edition_id)).one())
    if remaining <= MIN_THEMES:
        raise ValidationError({"themes": f"Une édition compte au moins {MIN_THEMES} thèmes."})
    for model, what in (
        (Orientation, "des orientations"),
        (Stand, "des stands"),
        (Contribution, "des contributions"),
        (QuestionnaireSection, "une partie du questionnaire"),
        (ContributionGroup, "des regroupements"),
    ):
        used = session.exec(select(func.count()).select_from(model).where(model.theme_id == theme_id)).one()
        if used:
            raise ValidationError(
                {"theme": f"Ce thème porte déjà {what} : changez-en le libellé plutôt que de le supprimer."}
            )
    record_audit_event(
        session=session,
        actor=actor,
        action="theme.delete",
        entity_type="theme",
        entity_id=theme_id,
        before=_theme_snapshot(row),
    )
    session.delete(row)
    session.flush()
    return theme_id


# ---------------------------------------------------------------------------------------------------------------
# Key figures and support schemes, edited as tables in the wizard

TABLES: dict[str, tuple[Any, Callable[[list[dict[str, Any]]], list[dict[str, Any]]], str]] = {
    "key_figures": (KeyFigure, check_key_figures, "keyfigure"),
    "support_schemes": (SupportScheme, check_support_schemes, "supportscheme"),
}


def list_edition_rows(session: Session, *, edition_id: int, table: str) -> list[dict[str, Any]]:
    """An edition's key figures or support schemes as the pack writes them (the wizard's tables)."""
    pack = export_pack(session=session, edition_id=edition_id)
    rows: list[dict[str, Any]] = pack.key_figures if table == "key_figures" else pack.support_schemes
    return rows


def save_edition_rows(session: Session, *, actor: str, edition_id: int, table: str, rows: list[dict[str, Any]]) -> int:
    """Replace an edition's key figures or support schemes by `rows`, checked as in a pack; rows kept by code.

    Returns how many rows the edition then holds. Figures are shown in the order given (the home page's headline
    figures are those with a short label).
    """
    require_permission(session=session, actor=actor, permission=Permission.EDITIONS)
    require_writable(session=session, edition_id=edition_id)
    model, check, entity = TABLES[table]
    checked = check(rows)
    existing = {r.code: r for r in session.exec(select(model).where(model.edition_id == edition_id)).all()}
    before = [r.model_dump(exclude={"id", "edition_id"}) for r in existing.values()]
    for position, values in enumerate(checked, start=1):
        row = existing.pop(values["code"], None) or model(edition_id=edition_id, code=values["code"])
        for key, value in values.items():
            setattr(row, key, value)
        if model is KeyFigure:
            row.position = position
        session.add(row)
    for gone in existing.values():
        session.delete(gone)
    session.flush()
    record_audit_event(
        session=session,
        actor=actor,
        action=f"{entity}.replace",
        entity_type=entity,
        entity_id=edition_id,
        before={"rows": before},
        after={"rows": checked},
    )
    return len(checked)


# ---------------------------------------------------------------------------------------------------------------
# The questionnaire, edited in the wizard as the YAML a pack holds

QUESTIONNAIRE_TEMPLATE = {
    "slug": "questionnaire-acteurs",
    "title": "Questionnaire aux acteurs de l'ESS",
    "description": "",
    "sections": [
        {
            "title": "Votre structure",
            "theme": None,
            "questions": [
                {"code": "q_structure", "text": "Présentez votre structure en quelques mots.", "type": "open"}
            ],
        }
    ],
}


def questionnaire_text(session: Session, *, edition_id: int) -> str:
    """The edition's questionnaire as YAML (a starting point when it has none)."""
    current = export_pack(session=session, edition_id=edition_id).questionnaire or QUESTIONNAIRE_TEMPLATE
    text: str = yaml.safe_dump(current, allow_unicode=True, sort_keys=False, width=110)
    return text


def replace_questionnaire(session: Session, *, actor: str, edition_id: int, text: str) -> int:
    """Replace the edition's questionnaire by the YAML `text`, checked on the server; refused once it has answers."""
    require_permission(session=session, actor=actor, permission=Permission.EDITIONS)
    require_writable(session=session, edition_id=edition_id)
    codes = {t.code for t in session.exec(select(Theme).where(Theme.edition_id == edition_id)).all()}
    data = read_questionnaire(text, theme_codes=codes)
    for row in session.exec(select(Questionnaire).where(Questionnaire.edition_id == edition_id)).all():
        if row.slug == data["slug"] or row.id is None:
            continue
        if questionnaire_in_use(session=session, questionnaire_id=row.id):
            # Its answers keep their questions; the form now offers the new questionnaire.
            row.active = False
            session.add(row)
        else:  # the edition's one questionnaire under a new identifier: the unused old one goes
            session.execute(delete(Question).where(col(Question.questionnaire_id) == row.id))
            session.execute(delete(QuestionnaireSection).where(col(QuestionnaireSection.questionnaire_id) == row.id))
            session.delete(row)
    session.flush()
    questionnaire_id, _ = replace_questionnaire_definition(session=session, edition_id=edition_id, data=data)
    record_audit_event(
        session=session,
        actor=actor,
        action="questionnaire.replace",
        entity_type="questionnaire",
        entity_id=questionnaire_id,
        after={"slug": data["slug"], "questions": sum(len(s["questions"]) for s in data["sections"])},
    )
    return questionnaire_id
