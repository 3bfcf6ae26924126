"""« Mes données »: a participant downloads or erases what the app holds about them, with their own code.

The same lookup and erasure as staff's (services.privacy.lookup, .erasure), found by a receipt code or a
questionnaire resume code only (a phone's token is never typed), without a staff account. A code is the
person's proof, so the codes typed are throttled like every code lookup without an account
(services.code_guesses: unknown codes counted per session, address and overall). Each request is in the audit
trail, its actor « participant (code K7QF-…) »: staff see who asked for what, the code itself not kept whole.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from services import throttle
from services.audit import audit
from services.code_guesses import count_wrong_code, require_guess_allowed
from services.codes import normalise_code
from services.errors import ValidationError
from services.privacy.erasure import ErasureReport, erase_code
from services.privacy.lookup import PersonalData, collect_personal_data

# « K7QF-MC3R » (receipt) or « K7QF-MC3R-X4TA » (resume code): longer is neither, so no phone token.
SELF_CODE_MAX_CHARS = 14
UNKNOWN_CODE = (
    "Aucune donnée n'est liée à ce code. Vérifiez-le : un code de reçu (8 caractères, par ex. K7QF-MC3R) ou le "
    "code de reprise du questionnaire (12 caractères)."
)
CONFIRMATION_MISMATCH = "Retapez exactement le même code pour confirmer l'effacement."


def participant_actor(code: str) -> str:
    """The audit trail's actor of a person's own request: its code masked beyond the first four signs."""
    return f"participant (code {normalise_code(code)[:4]}-…)"


def _checked(
    session: Session, code: str, session_key: str, origin: throttle.Origin, now: datetime | None
) -> str | None:
    """The normalised code if it may be looked up; None (and the guess counted) when it cannot be a code."""
    cleaned = normalise_code(code)
    require_guess_allowed(session=session, session_key=session_key, origin=origin, now=now)
    if not cleaned or len(cleaned) > SELF_CODE_MAX_CHARS:
        count_wrong_code(session=session, session_key=session_key, origin=origin, now=now)
        return None
    return cleaned


def my_personal_data(
    session: Session, *, code: str, session_key: str, origin: throttle.Origin, now: datetime | None = None
) -> PersonalData | None:
    """What the store holds for the person with this code (None: unknown code, counted). A write: it counts
    failures and records the request in the audit trail."""
    cleaned = _checked(session, code, session_key, origin, now)
    if cleaned is None:
        return None
    data = collect_personal_data(session, cleaned)
    if data.empty:
        count_wrong_code(session=session, session_key=session_key, origin=origin, now=now)
        return None
    audit(
        session,
        participant_actor(data.code),
        "privacy.access",
        after={"contributions": len(data.contributions), "responses": len(data.responses)},
    )
    return data


def erase_my_personal_data(
    session: Session,
    *,
    code: str,
    confirmation: str,
    session_key: str,
    origin: throttle.Origin,
    now: datetime | None = None,
) -> ErasureReport | None:
    """Erase, as staff would on request, everything linked to the code typed twice (None: unknown code, counted).

    The texts stay, anonymised, for the strategy; the phone's link is cut (services.privacy.erasure)."""
    if normalise_code(confirmation) != normalise_code(code):
        raise ValidationError({"confirmation": CONFIRMATION_MISMATCH})
    cleaned = _checked(session, code, session_key, origin, now)
    if cleaned is None:
        return None
    actor = participant_actor(cleaned)
    report = erase_code(session, code=cleaned, actor=actor)
    if report is None:
        count_wrong_code(session=session, session_key=session_key, origin=origin, now=now)
        return None
    # Staff see the request even when there was nothing left to erase (done before).
    audit(
        session,
        actor,
        "privacy.erase",
        after={"contributions": report.contributions, "responses": report.responses, "devices": report.devices},
    )
    return report
