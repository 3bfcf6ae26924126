"""The accessibility statement's facts: the last recorded axe-core audit and who answers for the edition.

The audit's date, tools and results are never typed by hand: tests/e2e/test_accessibility_browser.py writes
them to AUDIT_FILE when run with ESS_RECORD_AXE_AUDIT=1, and the statement page reads them from there.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from services.editions import EditionInfo

AUDIT_FILE = Path(__file__).resolve().parent.parent / "assets" / "accessibility" / "axe_audit.json"
IMPACTS = ("critical", "serious", "moderate", "minor")


@dataclass(frozen=True)
class AuditedPage:
    url_path: str
    title: str
    audience: str  # "participants" or "équipe"
    viewport: str  # "390 × 844" …
    violations: dict[str, int]  # impact -> number of elements concerned, excluded elements left out


@dataclass(frozen=True)
class Exclusion:
    rule: str
    selector: str
    reason: str


@dataclass(frozen=True)
class AuditRecord:
    audited_on: date
    axe_core: str
    browser: str
    rule_tags: tuple[str, ...]
    pages: tuple[AuditedPage, ...]
    exclusions: tuple[Exclusion, ...] = ()
    keyboard_journeys: tuple[str, ...] = field(default_factory=tuple)

    @property
    def blocking(self) -> int:
        """Serious and critical violations left, every page together."""
        return sum(p.violations.get("serious", 0) + p.violations.get("critical", 0) for p in self.pages)


def record_to_json(record: AuditRecord) -> str:
    data = asdict(record)
    data["audited_on"] = record.audited_on.isoformat()
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def record_from_json(text: str) -> AuditRecord:
    """Parse the audit file; ValueError (with what is wrong) on anything malformed."""
    try:
        data: dict[str, Any] = json.loads(text)
        return AuditRecord(
            audited_on=date.fromisoformat(data["audited_on"]),
            axe_core=str(data["axe_core"]),
            browser=str(data["browser"]),
            rule_tags=tuple(str(t) for t in data["rule_tags"]),
            pages=tuple(
                AuditedPage(
                    url_path=str(p["url_path"]),
                    title=str(p["title"]),
                    audience=str(p["audience"]),
                    viewport=str(p["viewport"]),
                    violations={str(k): int(v) for k, v in p["violations"].items()},
                )
                for p in data["pages"]
            ),
            exclusions=tuple(
                Exclusion(rule=str(e["rule"]), selector=str(e["selector"]), reason=str(e["reason"]))
                for e in data["exclusions"]
            ),
            keyboard_journeys=tuple(str(j) for j in data.get("keyboard_journeys", [])),
        )
    except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
        raise ValueError(f"fichier d'audit illisible : {exc!r}") from exc


def load_audit(path: Path = AUDIT_FILE) -> AuditRecord | None:
    """The last recorded audit, or None if none was recorded or the file cannot be read."""
    try:
        return record_from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_audit(record: AuditRecord, path: Path = AUDIT_FILE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(record_to_json(record), encoding="utf-8")


@dataclass(frozen=True)
class Responsible:
    """Who the statement speaks for, and whom to write to: the edition's own settings, typed by staff."""

    entity: str
    contact: str


def responsible(edition: EditionInfo) -> Responsible:
    """The edition's data controller (else its organisers) and its contact: the same people the privacy notice
    names, since the app has no separate accessibility contact and one address for both serves people best."""
    entity = edition.privacy_controller or " et ".join(edition.organisers)
    return Responsible(entity=entity, contact=edition.privacy_contact or entity)
