"""The treasure-hunt circuit: recording visits to stands."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, and_, cast, func, literal_column, type_coerce
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import Contribution, ModerationStatus, Participant, Ptce, Stand, StandVisit, Theme, utcnow
from services import throttle
from services.audit import record_audit_event
from services.codes import normalise_code, readable_code
from services.errors import NotFoundError, ValidationError
from services.formatting import format_number
from services.participants import (
    count_anonymous_write,
    find_participant_by_code,
    get_or_create_participant,
    participant_id_for_token,
)
from services.qrcodes import PosterStand
from services.text import check_text, has_forbidden_characters


def record_stand_visit(
    *, session: Session, participant_id: int, stand_code: str, at: datetime | None = None, is_demo: bool = False
) -> bool:
    """Record a visit once per participant and stand; True if it is new, False on a repeat scan."""
    stand = session.exec(select(Stand).where(Stand.code == stand_code.strip().upper(), Stand.active)).first()
    if stand is None or stand.id is None:
        raise NotFoundError("Ce stand n'existe pas ou n'est plus ouvert.")
    existing = session.exec(
        select(StandVisit).where(StandVisit.stand_id == stand.id, StandVisit.participant_id == participant_id)
    ).first()
    if existing is not None:
        return False
    try:
        with session.begin_nested():
            session.add(
                StandVisit(stand_id=stand.id, participant_id=participant_id, created_at=at or utcnow(), is_demo=is_demo)
            )
            session.flush()
    except IntegrityError:
        return False  # a concurrent scan of the same stand won
    return True


# ---------------------------------------------------------------------------------------------
# The hunter's side: the stand page, the passport, the treasure


@dataclass(frozen=True)
class StandPage:
    """What a stand's page shows (texts typed by staff: pages draw them as plain text)."""

    id: int
    code: str
    name: str
    experience: str
    carrier: str
    description: str
    question: str
    position: int
    theme_id: int
    theme_label: str
    theme_short_label: str
    theme_color: str
    ptce_code: str | None
    ptce_name: str | None
    active: bool


@dataclass(frozen=True)
class Passport:
    """A hunter's progress on the circuit."""

    public_code: str | None  # None until the phone has visited or contributed once
    visited: list[StandPage]
    themes_covered: list[int]
    themes_total: int
    contributions: int
    missing_theme_ids: list[int]
    remaining: list[StandPage]  # open stands not visited yet, in circuit order
    treasure_code: str | None
    treasure_found_at: datetime | None

    @property
    def complete(self) -> bool:
        return self.treasure_code is not None


@dataclass(frozen=True)
class VisitResult:
    new: bool
    public_code: str
    treasure_just_found: bool


def _stand_pages(session: Session, *where: Any) -> list[StandPage]:
    stmt = (
        select(Stand, Theme, Ptce)
        .join(Theme, col(Theme.id) == col(Stand.theme_id))
        .join(Ptce, col(Ptce.id) == col(Stand.ptce_id), isouter=True)
        .where(*where)
        .order_by(col(Stand.position), col(Stand.code))
    )
    pages = []
    for stand, theme, ptce in session.exec(stmt).all():
        assert stand.id is not None
        pages.append(
            StandPage(
                id=stand.id,
                code=stand.code,
                name=stand.name,
                experience=stand.experience,
                carrier=stand.carrier,
                description=stand.description,
                question=stand.question,
                position=stand.position,
                theme_id=theme.id,
                theme_label=theme.label,
                theme_short_label=theme.short_label,
                theme_color=theme.color,
                ptce_code=ptce.code if ptce else None,
                ptce_name=ptce.name if ptce else None,
                active=stand.active,
            )
        )
    return pages


def normalise_stand_code(code: str | None) -> str:
    """What a QR code or a hand-typed address carries, as stored: upper case, no spaces; '' if implausible."""
    cleaned = (code or "").strip().upper()
    return cleaned if 0 < len(cleaned) <= 20 and cleaned.isascii() and cleaned.replace("-", "").isalnum() else ""


def get_stand_page(*, session: Session, code: str) -> StandPage | None:
    """An open stand by its code, or None for an unknown or closed one."""
    cleaned = normalise_stand_code(code)
    if not cleaned:
        return None
    found = _stand_pages(session, col(Stand.code) == cleaned, col(Stand.active))
    return found[0] if found else None


def list_circuit(*, session: Session, include_closed: bool = False) -> list[StandPage]:
    """The stands in circuit order (open ones only unless asked)."""
    return _stand_pages(session) if include_closed else _stand_pages(session, col(Stand.active))


def has_visited(*, session: Session, device_token: str, stand_code: str) -> bool:
    """True if this phone already recorded a visit to this stand (no write)."""
    participant_id = participant_id_for_token(session=session, device_token=device_token)
    if participant_id is None:
        return False
    stmt = (
        select(func.count())
        .select_from(StandVisit)
        .join(Stand, col(Stand.id) == col(StandVisit.stand_id))
        .where(col(StandVisit.participant_id) == participant_id, col(Stand.code) == normalise_stand_code(stand_code))
    )
    return int(session.exec(stmt).one()) > 0


def visit_stand(
    *,
    session: Session,
    device_token: str,
    stand_code: str,
    is_demo: bool = False,
    origin: throttle.Origin | None = None,
    now: datetime | None = None,
) -> VisitResult:
    """« J'ai visité »: the phone's passport gets this stand once; the treasure is checked at once."""
    count_anonymous_write(session=session, origin=origin, now=now)
    participant = get_or_create_participant(
        session=session, device_token=device_token, is_demo=is_demo, origin=origin, now=now
    )
    new = record_stand_visit(
        session=session, participant_id=participant.id, stand_code=normalise_stand_code(stand_code), is_demo=is_demo
    )
    found_now = award_treasure_if_complete(session=session, participant_id=participant.id)
    return VisitResult(new=new, public_code=participant.public_code, treasure_just_found=found_now)


def _themes_visited(session: Session, participant_id: int) -> set[int]:
    stmt = (
        select(Stand.theme_id)
        .join(StandVisit, col(StandVisit.stand_id) == col(Stand.id))
        .where(col(StandVisit.participant_id) == participant_id)
        .group_by(col(Stand.theme_id))
    )
    return {int(t) for t in session.exec(stmt).all()}


def _contribution_count(session: Session, participant_id: int) -> int:
    stmt = (
        select(func.count())
        .select_from(Contribution)
        .where(
            col(Contribution.participant_id) == participant_id,
            col(Contribution.status) != ModerationStatus.REJECTED.value,
        )
    )
    return int(session.exec(stmt).one())


def _all_theme_ids(session: Session) -> list[int]:
    return [int(t) for t in session.exec(select(Theme.id).order_by(col(Theme.position), col(Theme.id))).all()]


def is_complete(*, session: Session, participant_id: int) -> bool:
    """The rule: at least one stand of each theme visited, and at least one contribution."""
    themes = set(_all_theme_ids(session))
    return themes <= _themes_visited(session, participant_id) and _contribution_count(session, participant_id) > 0


def award_treasure_if_complete(*, session: Session, participant_id: int) -> bool:
    """Give the participant a treasure code the first time the rule holds; True only that first time."""
    row = session.get(Participant, participant_id)
    if row is None or row.treasure_code is not None or not is_complete(session=session, participant_id=participant_id):
        return False
    for _ in range(5):
        try:
            with session.begin_nested():
                row.treasure_code = "T-" + readable_code(6, group=0)
                row.treasure_found_at = utcnow()
                session.add(row)
                session.flush()
        except IntegrityError:
            session.refresh(row)
            if row.treasure_code is not None:
                return False  # another request of the same phone was first
            continue
        return True
    raise RuntimeError("could not allocate a unique treasure code")


def passport(*, session: Session, device_token: str) -> Passport:
    """The phone's passport, awarding the treasure if a contribution completed it since the last visit."""
    themes = _all_theme_ids(session)
    open_stands = _stand_pages(session, col(Stand.active))
    participant_id = participant_id_for_token(session=session, device_token=device_token)
    if participant_id is None:
        return Passport(None, [], [], len(themes), 0, themes, open_stands, None, None)
    award_treasure_if_complete(session=session, participant_id=participant_id)
    row = session.get(Participant, participant_id)
    assert row is not None
    visited_ids = set(
        session.exec(select(StandVisit.stand_id).where(col(StandVisit.participant_id) == participant_id)).all()
    )
    visited = [s for s in _stand_pages(session, col(Stand.id).in_(visited_ids))] if visited_ids else []
    covered = _themes_visited(session, participant_id)
    return Passport(
        public_code=row.public_code,
        visited=visited,
        themes_covered=[t for t in themes if t in covered],
        themes_total=len(themes),
        contributions=_contribution_count(session, participant_id),
        missing_theme_ids=[t for t in themes if t not in covered],
        remaining=[s for s in open_stands if s.id not in visited_ids],
        treasure_code=row.treasure_code,
        treasure_found_at=row.treasure_found_at,
    )


RESTORE_SESSION_SCOPE = "restore.session"
RESTORE_ORIGIN_SCOPE = "restore.origin"
RESTORE_OVERALL_SCOPE = "restore.overall"
_OVERALL_KEY = "all"


def restore_passport(
    *,
    session: Session,
    public_code: str,
    session_key: str,
    origin: throttle.Origin,
    now: datetime | None = None,
) -> str | None:
    """The device token behind a passport's short code (the new phone takes it over), or None.

    Wrong codes are counted per browser session, per address and overall (services.throttle.RESTORE_*), and
    a code is looked up only while all three windows allow it: that is what bounds guessing. Raises
    throttle.Throttled (French message) while one holds. Only failures are counted, so a person who types the
    right code is held back by nobody's failures but their own session's, their address's, or an attack
    spread over more addresses than the overall window allows (ten at full speed).
    """
    if not normalise_code(public_code):
        return None  # nothing typed: not a guess
    now = now or utcnow()
    checks = (
        (RESTORE_SESSION_SCOPE, session_key, throttle.RESTORE_PER_SESSION),
        (RESTORE_ORIGIN_SCOPE, origin.key, origin.restore_failures),
        (RESTORE_OVERALL_SCOPE, _OVERALL_KEY, origin.restore_failures_overall),
    )
    waits = [
        throttle.wait_seconds(session=session, scope=scope, key=key, windows=windows, now=now)
        for scope, key, windows in checks
    ]
    wait = max((w for w in waits if w is not None), default=None)
    if wait is not None:
        raise throttle.Throttled(throttle.wait_message(wait), retry_after_s=wait)
    ref = find_participant_by_code(session=session, public_code=public_code)
    if ref is not None:
        return ref.device_token
    for scope, key, _ in checks:
        throttle.record_event(session=session, scope=scope, key=key, now=now)
    return None


@dataclass(frozen=True)
class TreasureCheck:
    found_at: datetime
    public_code: str


def check_treasure_code(*, session: Session, code: str) -> TreasureCheck | None:
    """The welcome desk's check: when this treasure code was found, or None if it does not exist."""
    cleaned = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    if not cleaned:
        return None
    value = "T-" + (cleaned[1:] if len(cleaned) == 7 and cleaned.startswith("T") else cleaned)
    row = session.exec(select(Participant).where(col(Participant.treasure_code) == value)).first()
    if row is None or row.treasure_found_at is None:
        return None
    return TreasureCheck(row.treasure_found_at, row.public_code)


# ---------------------------------------------------------------------------------------------
# The organisers' view: traffic on the circuit, every count a GROUP BY in the database

QUARTER_S = 900


@dataclass(frozen=True)
class StandTraffic:
    code: str
    name: str
    theme_id: int
    position: int
    visits: int
    contributions: int  # contributions sent from the stand's page
    converted: int  # visitors of the stand who also contributed from it

    @property
    def conversion(self) -> float | None:
        return self.converted / self.visits if self.visits else None


@dataclass(frozen=True)
class CircuitTraffic:
    stands: list[StandTraffic]  # every open stand, in circuit order, zeros kept
    visits_by_theme: dict[int, int]
    visits_by_quarter: list[tuple[datetime, int]]  # start of each 15-minute slot with visits, UTC
    hunters: int
    treasures_found: int

    @property
    def unreached(self) -> list[StandTraffic]:
        return [s for s in self.stands if s.visits == 0]


def _visit_quarter(session: Session) -> Any:
    created = col(StandVisit.created_at)
    if session.get_bind().dialect.name == "sqlite":
        # Stored as 'YYYY-MM-DD HH:MM:SS…' UTC: the hour's text plus the quarter number (0–3).
        minute = cast(func.substr(created, 15, 2), Integer)
        return func.substr(created, 1, 14).op("||")(minute.op("/")(literal_column("15")))
    seconds: Any = literal_column(str(QUARTER_S))
    epoch = cast(func.floor(func.extract("epoch", created)), BigInteger)
    return type_coerce(epoch.op("/")(seconds).op("*")(seconds), BigInteger)


def _quarter_start(value: int | str) -> datetime:
    if isinstance(value, int):
        return datetime.fromtimestamp(value, UTC)
    return datetime.fromisoformat(f"{value[:13]}:{int(value[14:]) * 15:02d}").replace(tzinfo=UTC)


def circuit_traffic(*, session: Session, include_demo: bool = True) -> CircuitTraffic:
    """Visits per stand, theme and quarter hour, unreached stands, visit→contribution conversion, treasures."""
    visit_where = [] if include_demo else [~col(StandVisit.is_demo)]
    visits = (
        select(StandVisit.stand_id, func.count().label("n"))
        .where(*visit_where)
        .group_by(col(StandVisit.stand_id))
        .subquery()
    )
    sent = (
        select(Contribution.stand_id, func.count().label("n"))
        .where(col(Contribution.stand_id).is_not(None), col(Contribution.status) != ModerationStatus.REJECTED.value)
        .group_by(col(Contribution.stand_id))
        .subquery()
    )
    contributed = (
        select(Contribution.stand_id, Contribution.participant_id)
        .where(col(Contribution.stand_id).is_not(None), col(Contribution.participant_id).is_not(None))
        .distinct()
        .subquery()
    )
    converted = (
        select(StandVisit.stand_id, func.count().label("n"))
        .join(
            contributed,
            and_(
                contributed.c.stand_id == col(StandVisit.stand_id),
                contributed.c.participant_id == col(StandVisit.participant_id),
            ),
        )
        .where(*visit_where)
        .group_by(col(StandVisit.stand_id))
        .subquery()
    )
    # sqlalchemy's own select: sqlmodel's is typed for four columns at most.
    rows = (
        session.connection()
        .execute(
            sa_select(  # type: ignore[call-overload]  # col() is typed as the column's Python type
                Stand.code,
                Stand.name,
                Stand.theme_id,
                Stand.position,
                func.coalesce(visits.c.n, 0),
                func.coalesce(sent.c.n, 0),
                func.coalesce(converted.c.n, 0),
            )
            .outerjoin(visits, visits.c.stand_id == col(Stand.id))
            .outerjoin(sent, sent.c.stand_id == col(Stand.id))
            .outerjoin(converted, converted.c.stand_id == col(Stand.id))
            .where(col(Stand.active))
            .order_by(col(Stand.position), col(Stand.code))
        )
        .all()
    )
    stands = [StandTraffic(c, n, int(t), int(p), int(v), int(s), int(k)) for c, n, t, p, v, s, k in rows]
    by_theme = dict(
        session.exec(
            select(Stand.theme_id, func.count())
            .join(StandVisit, col(StandVisit.stand_id) == col(Stand.id))
            .where(*visit_where)
            .group_by(col(Stand.theme_id))
        ).all()
    )
    quarter = _visit_quarter(session)
    per_quarter = session.exec(
        select(quarter, func.count()).where(*visit_where).group_by(quarter).order_by(quarter)
    ).all()
    hunters = session.exec(select(func.count(func.distinct(StandVisit.participant_id))).where(*visit_where)).one()
    treasures = session.exec(
        select(func.count()).select_from(Participant).where(col(Participant.treasure_found_at).is_not(None))
    ).one()
    return CircuitTraffic(
        stands=stands,
        visits_by_theme={int(k): int(v) for k, v in by_theme.items()},
        visits_by_quarter=[(_quarter_start(q), int(n)) for q, n in per_quarter],
        hunters=int(hunters),
        treasures_found=int(treasures),
    )


# ---------------------------------------------------------------------------------------------
# Admins: creating, editing, reordering and importing stands (every change audited)

STAND_CODE = re.compile(r"[A-Z0-9-]{1,20}")
CSV_COLUMNS = ("code", "name", "experience", "carrier", "theme", "description", "question", "position", "ptce")
MAX_STAND_FILE_BYTES = 1024 * 1024  # a circuit of a few dozen stands is a few kilobytes
# Each row is checked against the store under the write lock: a megabyte of short lines would hold it for minutes.
MAX_STAND_ROWS = 1_000
MAX_STAND_COLUMNS = 50
TEXT_LIMITS = {"name": 160, "experience": 300, "carrier": 200, "description": 2000, "question": 500}
TEXT_LABELS = {
    "name": "Le nom du stand",
    "experience": "L'expérience présentée",
    "carrier": "Le porteur",
    "description": "La description",
    "question": "La question",
}


@dataclass(frozen=True)
class StandValues:
    """What an admin typed (or a CSV row held) for one stand; checked by check_stand_values."""

    code: str
    name: str
    theme: str  # a theme's code or id, as text
    experience: str = ""
    carrier: str = ""
    description: str = ""
    question: str = ""
    position: str = ""
    ptce: str = ""  # a PTCE's code, or empty
    active: bool = True


@dataclass(frozen=True)
class RejectedRow:
    line: int  # the line of the file, header = 1
    code: str
    reasons: str


@dataclass(frozen=True)
class StandImportReport:
    created: int
    updated: int
    rejected: list[RejectedRow]


def check_stand_values(session: Session, values: StandValues) -> tuple[dict[str, Any], dict[str, str]]:
    """The stand's columns, or French messages per field (no typed text is quoted back)."""
    errors: dict[str, str] = {}
    code = values.code.strip().upper()
    if not STAND_CODE.fullmatch(code):
        errors["code"] = "Code de stand invalide : de 1 à 20 lettres, chiffres ou tirets (par ex. S01)."
    themes = {str(t.id): t.id for t in session.exec(select(Theme)).all()} | {
        t.code: t.id for t in session.exec(select(Theme)).all()
    }
    theme_id = themes.get(values.theme.strip())
    if theme_id is None:
        errors["theme"] = "Thème inconnu : indiquez le code d'un des cinq thèmes."
    if not values.name.strip():
        errors["name"] = "Le nom du stand est obligatoire."
    texts: dict[str, str] = {}
    for key, limit in TEXT_LIMITS.items():
        texts[key], problem = check_text(getattr(values, key), label=TEXT_LABELS[key], max_chars=limit, required=False)
        if problem and key not in errors:
            errors[key] = problem
    position = 0
    if values.position.strip():
        try:
            position = int(values.position.strip())
            if not 0 <= position <= 999:
                raise ValueError
        except ValueError:
            errors["position"] = "La position doit être un nombre entier de 0 à 999."
    ptce_id = None
    if values.ptce.strip():
        ptce_id = session.exec(select(Ptce.id).where(col(Ptce.code) == values.ptce.strip())).first()
        if ptce_id is None:
            errors["ptce"] = "PTCE inconnu : indiquez le code d'un des huit PTCE, ou laissez vide."
    columns = {
        "code": code,
        "name": texts["name"],
        "theme_id": theme_id,
        "experience": texts["experience"],
        "carrier": texts["carrier"],
        "description": texts["description"],
        "question": texts["question"],
        "position": position,
        "ptce_id": ptce_id,
        "active": values.active,
    }
    return columns, errors


def _audit_stand(session: Session, actor: str, action: str, stand: Stand, before: dict[str, Any] | None) -> None:
    after = stand.model_dump(exclude={"created_at"})
    record_audit_event(
        session=session,
        actor=actor,
        action=action,
        entity_type="stand",
        entity_id=stand.code,
        before=before,
        after=after,
    )


def save_stand(*, session: Session, values: StandValues, actor: str, stand_id: int | None = None) -> int:
    """Create a stand (stand_id None) or edit one; returns its id. Codes stay unique."""
    columns, errors = check_stand_values(session, values)
    clash = session.exec(select(Stand).where(col(Stand.code) == columns["code"])).first()
    if clash is not None and clash.id != stand_id:
        errors["code"] = "Un autre stand porte déjà ce code."
    if errors:
        raise ValidationError(errors)
    if stand_id is None:
        if not values.position.strip():
            last = session.exec(select(func.max(Stand.position))).one()
            columns["position"] = int(last or 0) + 1
        stand = Stand(**columns)
        before = None
    else:
        found = session.get(Stand, stand_id)
        if found is None:
            raise NotFoundError("Ce stand n'existe plus.")
        stand = found
        before = stand.model_dump(exclude={"created_at"})
        for key, value in columns.items():
            setattr(stand, key, value)
    session.add(stand)
    session.flush()
    _audit_stand(session, actor, "stand.create" if stand_id is None else "stand.update", stand, before)
    assert stand.id is not None
    return stand.id


def move_stand(*, session: Session, stand_id: int, offset: int, actor: str) -> None:
    """Move a stand up (-1) or down (+1) the circuit; positions are renumbered 1, 2, 3…"""
    stands = list(session.exec(select(Stand).order_by(col(Stand.position), col(Stand.code))).all())
    index = next((i for i, s in enumerate(stands) if s.id == stand_id), None)
    if index is None:
        raise NotFoundError("Ce stand n'existe plus.")
    target = max(0, min(len(stands) - 1, index + offset))
    stands.insert(target, stands.pop(index))
    for number, stand in enumerate(stands, start=1):
        if stand.position != number:
            stand.position = number
            session.add(stand)
    record_audit_event(
        session=session,
        actor=actor,
        action="stand.move",
        entity_type="stand",
        entity_id=stands[target].code,
        before={"index": index + 1},
        after={"index": target + 1},
    )


def import_stands_csv(*, session: Session, content: bytes, actor: str) -> StandImportReport:
    """Create or update stands from a CSV (UTF-8, ',' or ';'); bad rows are reported, good rows still saved."""
    if len(content) > MAX_STAND_FILE_BYTES:
        raise ValidationError({"file": "Ce fichier est trop gros pour une liste de stands : 1 Mo au plus."})
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            {"file": "Ce fichier n'est pas en UTF-8 : enregistrez-le au format « CSV UTF-8 » puis importez-le."}
        ) from None
    if "\x00" in text:
        raise ValidationError({"file": "Ce fichier n'est pas un texte CSV (il contient des octets nuls)."})
    first = text[: text.find("\n")] if "\n" in text else text  # not splitlines(): a million lines for one
    delimiter = ";" if first.count(";") > first.count(",") else ","  # French spreadsheets export with ';'
    try:
        # Parsed whole before anything is saved: a malformed line refuses the file, never half of it.
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
        header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
        if len(header) > MAX_STAND_COLUMNS:
            raise ValidationError(
                {"file": f"Plus de {format_number(MAX_STAND_COLUMNS)} colonnes : ce n'est pas une liste de stands."}
            )
        records = []
        for record in reader:
            records.append(record)
            if len(records) > MAX_STAND_ROWS:
                raise ValidationError(
                    {
                        "file": f"Plus de {format_number(MAX_STAND_ROWS)} lignes : une liste de stands en compte "
                        "quelques dizaines. Rien n'a été importé."
                    }
                )
    except csv.Error:
        raise ValidationError(
            {"file": "Ce fichier CSV est mal formé (guillemet non fermé ou cellule démesurée) : corrigez-le."}
        ) from None
    missing = [c for c in ("code", "name", "theme") if c not in header]
    if missing:
        raise ValidationError({"file": "Colonnes obligatoires absentes : " + ", ".join(missing) + "."})
    created = updated = 0
    rejected: list[RejectedRow] = []
    seen: set[str] = set()
    for line, raw in enumerate(records, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if isinstance(v, str)}
        fields: dict[str, Any] = {k: row.get(k, "") for k in CSV_COLUMNS}
        values = StandValues(**fields)
        columns, errors = check_stand_values(session, values)
        code = str(columns["code"])
        if code in seen and not errors:
            errors["code"] = "Ce code apparaît deux fois dans le fichier."
        if errors:
            shown = "" if has_forbidden_characters(code) else code[:20]  # the report is shown and downloaded
            rejected.append(RejectedRow(line, shown, " ; ".join(errors.values())))
            continue
        seen.add(code)
        existing = session.exec(select(Stand).where(col(Stand.code) == code)).first()
        try:
            save_stand(session=session, values=values, actor=actor, stand_id=existing.id if existing else None)
        except ValidationError as exc:
            rejected.append(RejectedRow(line, code, " ; ".join(exc.errors.values())))
            continue
        if existing:
            updated += 1
        else:
            created += 1
    record_audit_event(
        session=session,
        actor=actor,
        action="stand.import",
        entity_type="stand",
        after={"created": created, "updated": updated, "rejected": len(rejected)},
    )
    return StandImportReport(created, updated, rejected)


def poster_stands(*, session: Session) -> list[PosterStand]:
    """The open stands as their posters need them, in circuit order."""
    return [
        PosterStand(s.code, s.name, s.theme_label, s.theme_color, s.position) for s in list_circuit(session=session)
    ]


def list_ptce_codes(*, session: Session) -> list[dict[str, str]]:
    """The PTCE a stand can be linked to: code and name."""
    return [{"code": p.code, "name": p.name} for p in session.exec(select(Ptce).order_by(col(Ptce.name))).all()]
