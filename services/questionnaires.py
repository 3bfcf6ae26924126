"""Questionnaire definitions: loading the shipped YAML ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session, select

from models import Question, Questionnaire, QuestionnaireSection, QuestionType, Theme
from services.errors import ValidationError

QUESTIONNAIRE_DIR = Path(__file__).resolve().parent.parent / "assets" / "questionnaires"


def _check_definition(data: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    codes: set[str] = set()
    for section in data.get("sections") or []:
        for q in section.get("questions") or []:
            code = q.get("code")
            if not code or code in codes:
                problems.append(f"code de question manquant ou en double : {code!r}")
            codes.add(code)
            if q.get("type") not in {t.value for t in QuestionType}:
                problems.append(f"{code} : type inconnu {q.get('type')!r}")
            has_choices = bool(q.get("choices"))
            if q.get("type") in (QuestionType.SINGLE, QuestionType.MULTIPLE) and not has_choices:
                problems.append(f"{code} : choix manquants")
    return problems


def load_questionnaire_file(*, session: Session, path: Path) -> tuple[int, bool]:
    """Create the questionnaire described by a YAML file unless its slug exists; (id, created)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))["questionnaire"]
    problems = _check_definition(data)
    if problems:
        raise ValidationError({"file": f"{path.name} : " + " ; ".join(problems)})
    existing = session.exec(select(Questionnaire).where(Questionnaire.slug == data["slug"])).first()
    if existing is not None:
        assert existing.id is not None
        return existing.id, False
    themes = {t.code: t.id for t in session.exec(select(Theme)).all()}
    questionnaire = Questionnaire(slug=data["slug"], title=data["title"], description=data.get("description", ""))
    session.add(questionnaire)
    session.flush()
    assert questionnaire.id is not None
    position = 0
    for s_pos, section_data in enumerate(data["sections"], start=1):
        section = QuestionnaireSection(
            questionnaire_id=questionnaire.id,
            theme_id=themes.get(section_data.get("theme") or ""),
            title=section_data["title"],
            position=s_pos,
        )
        session.add(section)
        session.flush()
        for q in section_data["questions"]:
            position += 1
            session.add(
                Question(
                    questionnaire_id=questionnaire.id,
                    section_id=section.id,
                    code=q["code"],
                    text=q["text"],
                    qtype=q["type"],
                    choices=q.get("choices"),
                    required=bool(q.get("required", False)),
                    position=position,
                )
            )
    session.flush()
    return questionnaire.id, True


def load_shipped_questionnaires(*, session: Session, directory: Path = QUESTIONNAIRE_DIR) -> int:
    """Load every YAML questionnaire under assets/questionnaires; returns how many were created."""
    created = 0
    for path in sorted(directory.glob("*.yaml")):
        created += int(load_questionnaire_file(session=session, path=path)[1])
    return created
