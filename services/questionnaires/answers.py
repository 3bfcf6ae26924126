"""One answer of a response: checked by its question's type (one checker shared by the online form and the import),
stored in its columns, read back and displayed; and the states a response goes through.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Any

from models import Answer, QuestionType
from services.contributions import BODY_MAX_CHARS, BODY_MIN_CHARS
from services.questionnaires.definitions import QuestionInfo
from services.text import check_text

AnswerValue = str | int | list[str]
YES, NO = "oui", "non"
YESNO_LABELS = {YES: "Oui", NO: "Non"}
SCALE_VALUES = (1, 2, 3, 4, 5)
# An open answer becomes a contribution: the same limits apply to it.
OPEN_MIN_CHARS = BODY_MIN_CHARS
OPEN_MAX_CHARS = BODY_MAX_CHARS


class ResponseStatus(StrEnum):
    """A response is a draft until it is sent (online) or imported."""

    DRAFT = "draft"
    SUBMITTED = "submitted"


class ResponseOrigin(StrEnum):
    """Where a sent response comes from: the online form, or an import of another tool's export."""

    ONLINE = "online"
    IMPORT = "import"


def is_blank(value: object) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or value == []


def check_answer(question: QuestionInfo, raw: object) -> tuple[AnswerValue | None, str | None]:
    """(clean value or None when unanswered, French error or None) for what a form sent for one question."""
    if is_blank(raw):
        return None, ("Cette question est obligatoire." if question.required else None)
    if question.qtype == QuestionType.OPEN:
        text, problem = check_text(
            str(raw), label="Votre réponse", min_chars=OPEN_MIN_CHARS, max_chars=OPEN_MAX_CHARS, required=False
        )
        return (None, problem) if problem else (text, None)
    if question.qtype == QuestionType.SINGLE:
        return (str(raw), None) if raw in question.choices else (None, "Choisissez l'une des réponses proposées.")
    if question.qtype == QuestionType.MULTIPLE:
        picked = list(raw) if isinstance(raw, list | tuple) else [raw]
        if any(p not in question.choices for p in picked):
            return None, "Choisissez parmi les réponses proposées."
        # Stored in the questionnaire's order, without repeats: the same answer always looks the same.
        return [c for c in question.choices if c in picked], None
    if question.qtype == QuestionType.SCALE:
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            return None, "Choisissez une note de 1 à 5."
        try:
            number = float(raw)
        except ValueError:
            return None, "Choisissez une note de 1 à 5."
        if not number.is_integer() or int(number) not in SCALE_VALUES:
            return None, "Choisissez une note de 1 à 5."
        return int(number), None
    if question.qtype == QuestionType.YESNO:
        return (str(raw), None) if raw in (YES, NO) else (None, "Répondez par oui ou par non.")
    return None, "Type de question inconnu."


def answer_columns(question: QuestionInfo, value: AnswerValue) -> dict[str, Any]:
    """The Answer columns holding `value`: numbers for scales, a list for multiple choices, text otherwise."""
    if question.qtype == QuestionType.SCALE:
        return {"value_text": None, "value_number": float(value), "value_choices": None}  # type: ignore[arg-type]
    if question.qtype == QuestionType.MULTIPLE:
        return {"value_text": None, "value_number": None, "value_choices": list(value)}  # type: ignore[arg-type]
    return {"value_text": str(value), "value_number": None, "value_choices": None}


def answer_value(question: QuestionInfo, answer: Answer) -> AnswerValue | None:
    """The value an Answer row holds, as check_answer returns it (None when it holds none)."""
    if question.qtype == QuestionType.SCALE:
        return int(answer.value_number) if answer.value_number is not None else None
    if question.qtype == QuestionType.MULTIPLE:
        return list(answer.value_choices or [])
    return answer.value_text


def display_answer(question: QuestionInfo, value: AnswerValue | None) -> str:
    """An answer as a person reads it (exports, previews)."""
    if value is None:
        return ""
    if question.qtype == QuestionType.MULTIPLE and isinstance(value, list):
        return " ; ".join(value)
    if question.qtype == QuestionType.YESNO:
        return YESNO_LABELS.get(str(value), str(value))
    return str(value)


def contribution_key(questionnaire_id: int, fingerprint: str, question_code: str) -> str:
    """The idempotency key of the contribution made from one answer: a second import or send finds the first."""
    digest = hashlib.sha256(f"{questionnaire_id}\n{fingerprint}\n{question_code}".encode()).hexdigest()
    return f"qr-{digest[:40]}"
