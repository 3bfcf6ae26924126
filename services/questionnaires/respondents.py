"""Who answers a questionnaire: the optional respondent fields, and the départements an edition accepts (its
Région's, or « hors région »)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session, select

from models import Departement, Edition
from services import geo
from services.contributions import check_author_fields
from services.reference import list_departements
from services.scope import resolve_edition_id
from services.text import check_text

# Where respondents come from: the edition's Région's départements, or « hors région ».
UNKNOWN_DEPARTEMENT = "Département inconnu."
OUTSIDE = "HORS"  # the reference code of « Hors région » (services.reference_data), the one choice outside the Région


@dataclass(frozen=True)
class DepartementScope:
    """The départements an edition's respondents choose from, and why any other is refused."""

    region_name: str
    allowed: dict[str, str]  # code → name: the Région's départements, then « HORS »
    elsewhere: dict[str, tuple[str, str]]  # the other Régions' départements: code → (name, its Région's name)

    @property
    def outside(self) -> str | None:
        """The code of « Hors région », when the store has it."""
        return OUTSIDE if OUTSIDE in self.allowed else None

    def refusal(self, code: str) -> str:
        """Why `code` (a real département, or an overseas collectivity) is not accepted for this edition, in French,
        without a final full stop (the import's reasons have none; the form adds it)."""
        region = f"la Région {self.region_name}" if self.region_name else "la Région de cette édition"
        text = f"{code} n'est pas un département de {region}"
        if code in self.elsewhere:
            name, its_region = self.elsewhere[code]
            text += f" ({name}, Région {its_region})" if its_region else f" ({name})"
        if self.outside:
            text += f" ; une structure d'une autre région se classe « {self.allowed[OUTSIDE]} »"
        return text

    def filed_outside(self, code: str) -> str:
        """The import's remark on a real département of another Région, kept and filed as « Hors région »."""
        region = f"la Région {self.region_name}" if self.region_name else "la Région de cette édition"
        text = f"{code}"
        if code in self.elsewhere:
            name, its_region = self.elsewhere[code]
            text += f" ({name}, Région {its_region})" if its_region else f" ({name})"
        return f"{text} n'est pas un département de {region} : classé « {self.allowed.get(OUTSIDE, OUTSIDE)} »"


def departement_scope(session: Session, *, edition_id: int | None = None) -> DepartementScope:
    """The edition's Région's départements and « HORS » (as services.reference lists them), with the Région's name."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    row = session.get(Edition, edition)
    region = geo.region_name(row.region_code) if row is not None else ""
    allowed = dict(list_departements(session=session, edition_id=edition))
    elsewhere = {
        d.code: (d.name, geo.region_name(d.region_code or ""))
        for d in session.exec(select(Departement)).all()
        if d.code not in allowed
    }
    return DepartementScope(region, allowed, elsewhere)


# Who answers: optional, like every personal field in the app.

EMAIL_MAX_CHARS = 200
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Respondent:
    organisation: str = ""
    actor_type: str | None = None
    departement: str | None = None
    respondent_name: str = ""
    email: str = ""


def check_respondent(
    session: Session, *, respondent: Respondent, edition_id: int | None = None
) -> tuple[Respondent, dict[str, str]]:
    """The cleaned respondent fields and a French message per refused field; the département is one of the
    edition's Région's, or « hors région »."""
    name, organisation, author_errors = check_author_fields(
        session=session,
        name=respondent.respondent_name,
        organisation=respondent.organisation,
        actor_type=respondent.actor_type,
        departement=None,  # checked below, with the reason naming both Régions
        edition_id=edition_id,
    )
    errors = {("respondent_name" if k == "name" else k): v for k, v in author_errors.items()}
    if respondent.departement is not None:
        departements = departement_scope(session=session, edition_id=edition_id)
        if respondent.departement not in departements.allowed:
            known = respondent.departement in departements.elsewhere
            errors["departement"] = departements.refusal(respondent.departement) + "." if known else UNKNOWN_DEPARTEMENT
    email, problem = check_text(
        respondent.email, label="L'adresse électronique", max_chars=EMAIL_MAX_CHARS, required=False
    )
    if problem:
        errors["email"] = problem
    elif email and not _EMAIL.match(email):
        errors["email"] = "L'adresse électronique n'a pas la forme nom@domaine.fr."
    clean = Respondent(organisation, respondent.actor_type, respondent.departement, name, email)
    return clean, errors
