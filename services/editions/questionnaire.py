"""An edition's questionnaire, edited in the wizard as the YAML a pack holds; replaced until it has answers."""

from __future__ import annotations

import yaml
from sqlalchemy import delete
from sqlmodel import Session, col, select

from models import Question, Questionnaire, QuestionnaireSection, Theme
from services.audit import audit
from services.editions.pack_export import export_pack
from services.packs import read_questionnaire
from services.permissions import Permission, require_permission
from services.questionnaires import questionnaire_in_use, replace_questionnaire_definition
from services.scope import require_writable

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
    questions = sum(len(s["questions"]) for s in data["sections"])
    audit(
        session, actor, "questionnaire.replace", questionnaire_id, after={"slug": data["slug"], "questions": questions}
    )
    return questionnaire_id
