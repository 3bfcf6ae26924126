"""Reference data: themes, départements, PTCE, support schemes, key figures."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class Theme(SQLModel, table=True):
    """One of the five strategy themes."""

    id: int = Field(primary_key=True)
    code: str = Field(max_length=40, unique=True)
    label: str = Field(max_length=200)
    short_label: str = Field(max_length=60)
    color: str = Field(max_length=9)
    description: str = ""
    position: int = 0


class Departement(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=5)
    name: str = Field(max_length=80)
    in_region: bool = True


class Ptce(SQLModel, table=True):
    """A pôle territorial de coopération économique supported by the Région."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
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

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=200)
    provider: str = Field(max_length=40)
    description: str = ""


class KeyFigure(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    label: str = Field(max_length=200)
    value: float
    unit: str = Field(default="", max_length=40)
    year: int | None = None
    source: str = ""
