"""French display forms: 152 500, 14,5 %, 14/05/2030 14:30 (Europe/Paris)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
# Narrow no-break space: the French thousands separator that never wraps a number in two.
THOUSANDS_SEP = "\u202f"


def format_number(value: float | int, decimals: int = 0) -> str:
    """152500 → '152 500'; 14.5 with decimals=1 → '14,5'."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", THOUSANDS_SEP)


def format_percent(value: float, decimals: int = 0) -> str:
    return f"{format_number(value, decimals)}\u00a0%"


def format_date(value: datetime | date) -> str:
    """14/05/2030: a calendar date as is, an instant in Paris time."""
    if not isinstance(value, datetime):
        return value.strftime("%d/%m/%Y")
    return to_paris(value).strftime("%d/%m/%Y")


def format_datetime(value: datetime) -> str:
    return to_paris(value).strftime("%d/%m/%Y %H:%M")


def to_paris(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime: timezone unknown")
    return value.astimezone(PARIS)


def format_figure(value: float, unit: str) -> str:
    """A key figure with its unit: '152 500 emplois', '14 %'."""
    decimals = 0 if float(value).is_integer() else 1
    if unit == "%":
        return format_percent(value, decimals)
    return f"{format_number(value, decimals)} {unit}".strip()
