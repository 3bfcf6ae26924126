"""Reference data: themes, départements, PTCE, support schemes, key figures."""

from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class Theme(SQLModel, table=True):
    """One of the strategy themes of an edition (2 to 12)."""

    __table_args__ = (UniqueConstraint("edition_id", "code", name="uq_theme_edition_code"),)

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", index=True)
    code: str = Field(max_length=40)
    label: str = Field(max_length=200)
    short_label: str = Field(max_length=60)
    color: str = Field(max_length=9)
    description: str = ""
    position: int = 0
    # The adequacy check on this theme's orientations (the edition's switch must be open too).
    vote_open: bool = True


class Departement(SQLModel, table=True):
    """Every French département (official code list), and « HORS » for people from elsewhere (no Région)."""

    code: str = Field(primary_key=True, max_length=5)
    name: str = Field(max_length=80)
    region_code: str | None = Field(default=None, max_length=3, index=True)


class Ptce(SQLModel, table=True):
    """A featured project of the edition (in 2016, a pôle territorial de coopération économique)."""

    __table_args__ = (UniqueConstraint("edition_id", "code", name="uq_ptce_edition_code"),)

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", index=True)
    code: str = Field(max_length=40)
    name: str = Field(max_length=160)
    carrier: str = Field(max_length=200)
    territory: str = Field(max_length=200)
    departement: str = Field(foreign_key="departement.code", max_length=5)
    description: str = ""
    support: str = ""
    lat: float | None = None
    lon: float | None = None


class SupportScheme(SQLModel, table=True):
    """A dispositif named in the sources (Région, État or partner)."""

    __table_args__ = (UniqueConstraint("edition_id", "code", name="uq_supportscheme_edition_code"),)

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", index=True)
    code: str = Field(max_length=40)
    name: str = Field(max_length=200)
    provider: str = Field(max_length=40)
    description: str = ""


class KeyFigure(SQLModel, table=True):
    """A figure of the Région's ESS; `short_label` set means it is one of the home page's headline figures."""

    __table_args__ = (UniqueConstraint("edition_id", "code", name="uq_keyfigure_edition_code"),)

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", index=True)
    code: str = Field(max_length=40)
    label: str = Field(max_length=200)
    value: float
    unit: str = Field(default="", max_length=40)
    year: int | None = None
    source: str = ""
    short_label: str = Field(default="", max_length=40)
    position: int = 0
