"""The treasure-hunt circuit of an edition: its stands, visits, passports, the treasure, the organisers' traffic.

Every function works on one edition (`edition_id`, None for the default one): stand codes repeat from one
edition to the next (each has its S01), and a passport belongs to one edition (services.participants), so a
stand, a visit or a passport of another edition is treated as if it did not exist.
"""

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

from models import (
    Contribution,
    Edition,
    EditionStatus,
    ModerationStatus,
    Participant,
    Ptce,
    Stand,
    StandVisit,
    Theme,
    utcnow,
)
from services import throttle
from services.audit import record_audit_event
from services.codes import normalise_code, readable_code
from services.errors import NotFoundError, ValidationError
from services.exports import csv_bytes
from services.formatting import format_number
from services.participants import (
    count_anonymous_write,
    find_participant_by_code,
    get_or_create_participant,
    participant_id_for_token,
)
from services.qrcodes import PosterStand
from services.scope import require_open, require_writable, resolve_edition_id
from services.text import check_text, has_forbidden_characters

STAND_GONE = "Ce stand n'existe pas ou n'est plus ouvert."


def record_stand_visit(
    session: Session,
    *,
    participant_id: int,
    stand_code: str,
    at: datetime | None = None,
    is_demo: bool = False,
    edition_id: int | None = None,
) -> bool:
    """Record a visit once per participant and stand of the edition; True if it is new, False on a repeat scan."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    person = session.get(Participant, participant_id)
    if person is None or person.edition_id != edition:
        raise NotFoundError("Ce passeport n'existe pas dans cette édition.")
    stand = session.exec(
        select(Stand).where(Stand.edition_id == edition, Stand.code == stand_code.strip().upper(), Stand.active)
    ).first()
    if stand is None or stand.id is None:
        raise NotFoundError(STAND_GONE)
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
    theme_code: str
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
    themes_total: int  # the themes the treasure asks for (the circuit's, see required_theme_ids)
    contributions: int
    missing_theme_ids: list[int]
    remaining: list[StandPage]  # open stands not visited yet, in circuit order
    treasure_code: str | None
    treasure_found_at: datetime | None
    theme_ids: list[int]  # the themes the treasure asks for, in the edition's order

    @property
    def complete(self) -> bool:
        return self.treasure_code is not None


@dataclass(frozen=True)
class VisitResult:
    new: bool
    public_code: str
    treasure_just_found: bool


def _stand_pages(session: Session, edition_id: int, *where: Any) -> list[StandPage]:
    stmt = (
        select(Stand, Theme, Ptce)
        .join(Theme, col(Theme.id) == col(Stand.theme_id))
        .join(Ptce, col(Ptce.id) == col(Stand.ptce_id), isouter=True)
        .where(col(Stand.edition_id) == edition_id, *where)
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
                theme_id=stand.theme_id,
                theme_code=theme.code,
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


def get_stand_page(session: Session, *, code: str, edition_id: int | None = None) -> StandPage | None:
    """An open stand of the edition by its code, or None for an unknown or closed one."""
    cleaned = normalise_stand_code(code)
    if not cleaned:
        return None
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    found = _stand_pages(session, edition, col(Stand.code) == cleaned, col(Stand.active))
    return found[0] if found else None


def list_circuit(session: Session, *, include_closed: bool = False, edition_id: int | None = None) -> list[StandPage]:
    """The edition's stands in circuit order (open ones only unless asked)."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    return _stand_pages(session, edition) if include_closed else _stand_pages(session, edition, col(Stand.active))


def has_visited(session: Session, *, device_token: str, stand_code: str, edition_id: int | None = None) -> bool:
    """True if this phone's passport of the edition already holds this stand (no write)."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    participant_id = participant_id_for_token(session=session, device_token=device_token, edition_id=edition)
    if participant_id is None:
        return False
    stmt = (
        select(func.count())
        .select_from(StandVisit)
        .join(Stand, col(Stand.id) == col(StandVisit.stand_id))
        .where(
            col(StandVisit.participant_id) == participant_id,
            col(Stand.edition_id) == edition,
            col(Stand.code) == normalise_stand_code(stand_code),
        )
    )
    return int(session.exec(stmt).one()) > 0


def visit_stand(
    session: Session,
    *,
    device_token: str,
    stand_code: str,
    is_demo: bool = False,
    origin: throttle.Origin | None = None,
    now: datetime | None = None,
    edition_id: int | None = None,
) -> VisitResult:
    """« J'ai visité »: the phone's passport of the edition gets this stand once; the treasure is checked at once.

    Only while the edition is open (an archived conference is a record); a token of another edition is refused.
    """
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    require_open(session=session, edition_id=edition)
    count_anonymous_write(session=session, origin=origin, now=now)
    participant = get_or_create_participant(
        session=session, device_token=device_token, is_demo=is_demo, origin=origin, now=now, edition_id=edition
    )
    new = record_stand_visit(
        session=session,
        participant_id=participant.id,
        stand_code=normalise_stand_code(stand_code),
        is_demo=is_demo,
        edition_id=edition,
    )
    found_now = award_treasure_if_complete(session=session, participant_id=participant.id)
    return VisitResult(new=new, public_code=participant.public_code, treasure_just_found=found_now)


def _themes_visited(session: Session, participant_id: int, edition_id: int) -> set[int]:
    stmt = (
        select(Stand.theme_id)
        .join(StandVisit, col(StandVisit.stand_id) == col(Stand.id))
        .where(col(StandVisit.participant_id) == participant_id, col(Stand.edition_id) == edition_id)
        .group_by(col(Stand.theme_id))
    )
    return {int(t) for t in session.exec(stmt).all()}


def _contribution_count(session: Session, participant_id: int, edition_id: int) -> int:
    stmt = (
        select(func.count())
        .select_from(Contribution)
        .join(Theme, col(Theme.id) == col(Contribution.theme_id))
        .where(
            col(Contribution.participant_id) == participant_id,
            col(Theme.edition_id) == edition_id,
            col(Contribution.status) != ModerationStatus.REJECTED.value,
        )
    )
    return int(session.exec(stmt).one())


def required_theme_ids(session: Session, *, edition_id: int | None = None) -> list[int]:
    """The themes the treasure asks a stand of: the edition's themes that have an open stand on the circuit,
    in the edition's order, whatever their number (a theme without any stand cannot be asked for)."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    on_circuit = select(Stand.theme_id).where(col(Stand.edition_id) == edition, col(Stand.active))
    stmt = (
        select(Theme.id)
        .where(col(Theme.edition_id) == edition, col(Theme.id).in_(on_circuit))
        .order_by(col(Theme.position), col(Theme.id))
    )
    return [t for t in session.exec(stmt).all() if t is not None]


def is_complete(session: Session, *, participant_id: int) -> bool:
    """The rule: a stand of each theme of the passport's edition visited, and at least one contribution to it."""
    row = session.get(Participant, participant_id)
    if row is None:
        return False
    themes = set(required_theme_ids(session=session, edition_id=row.edition_id))
    return (
        bool(themes)  # an empty circuit hides no treasure
        and themes <= _themes_visited(session, participant_id, row.edition_id)
        and _contribution_count(session, participant_id, row.edition_id) > 0
    )


def award_treasure_if_complete(session: Session, *, participant_id: int) -> bool:
    """Give the participant a treasure code the first time the rule holds; True only that first time.

    Never in an edition that is not open: an archived conference's passports are a record.
    """
    row = session.get(Participant, participant_id)
    if row is None or row.treasure_code is not None:
        return False
    edition = session.get(Edition, row.edition_id)
    if edition is None or edition.status != EditionStatus.OPEN.value:
        return False
    if not is_complete(session=session, participant_id=participant_id):
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


def passport(session: Session, *, device_token: str, edition_id: int | None = None) -> Passport:
    """The phone's passport of the edition (empty for a token of another edition), awarding the treasure if a
    contribution completed it since the last visit."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    themes = required_theme_ids(session=session, edition_id=edition)
    open_stands = _stand_pages(session, edition, col(Stand.active))
    participant_id = participant_id_for_token(session=session, device_token=device_token, edition_id=edition)
    if participant_id is None:
        return Passport(None, [], [], len(themes), 0, themes, open_stands, None, None, themes)
    award_treasure_if_complete(session=session, participant_id=participant_id)
    row = session.get(Participant, participant_id)
    assert row is not None
    visited_ids = set(
        session.exec(select(StandVisit.stand_id).where(col(StandVisit.participant_id) == participant_id)).all()
    )
    visited = _stand_pages(session, edition, col(Stand.id).in_(visited_ids)) if visited_ids else []
    covered = _themes_visited(session, participant_id, edition)
    return Passport(
        public_code=row.public_code,
        visited=visited,
        themes_covered=[t for t in themes if t in covered],
        themes_total=len(themes),
        contributions=_contribution_count(session, participant_id, edition),
        missing_theme_ids=[t for t in themes if t not in covered],
        remaining=[s for s in open_stands if s.id not in visited_ids],
        treasure_code=row.treasure_code,
        treasure_found_at=row.treasure_found_at,
        theme_ids=themes,
    )


RESTORE_SESSION_SCOPE = "restore.session"
RESTORE_ORIGIN_SCOPE = "restore.origin"
RESTORE_OVERALL_SCOPE = "restore.overall"
_OVERALL_KEY = "all"


def restore_passport(
    session: Session,
    *,
    public_code: str,
    session_key: str,
    origin: throttle.Origin,
    now: datetime | None = None,
    edition_id: int | None = None,
) -> str | None:
    """The device token behind a passport's short code of the edition (the new phone takes it over), or None.

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
    # A code of another edition's passport is as unknown here as a made-up one (and counted as a failure).
    ref = find_participant_by_code(session=session, public_code=public_code, edition_id=edition_id)
    if ref is not None:
        return ref.device_token
    for scope, key, _ in checks:
        throttle.record_event(session=session, scope=scope, key=key, now=now)
    return None


@dataclass(frozen=True)
class TreasureCheck:
    found_at: datetime
    public_code: str


def check_treasure_code(session: Session, *, code: str, edition_id: int | None = None) -> TreasureCheck | None:
    """The welcome desk's check: when this treasure code was found in the edition, or None if it does not exist."""
    cleaned = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    if not cleaned:
        return None
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    value = "T-" + (cleaned[1:] if len(cleaned) == 7 and cleaned.startswith("T") else cleaned)
    row = session.exec(
        select(Participant).where(col(Participant.treasure_code) == value, col(Participant.edition_id) == edition)
    ).first()
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


def circuit_traffic(session: Session, *, include_demo: bool = True, edition_id: int | None = None) -> CircuitTraffic:
    """The edition's visits per stand, theme and quarter hour, unreached stands, visit→contribution conversion,
    treasures."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    # Visits and contributions hang off a stand: the edition's are those of its stands (a few dozen ids).
    edition_stands = select(Stand.id).where(col(Stand.edition_id) == edition)
    visit_where: list[Any] = [col(StandVisit.stand_id).in_(edition_stands)]
    if not include_demo:
        visit_where.append(~col(StandVisit.is_demo))
    visits = (
        select(StandVisit.stand_id, func.count().label("n"))
        .where(*visit_where)
        .group_by(col(StandVisit.stand_id))
        .subquery()
    )
    sent = (
        select(Contribution.stand_id, func.count().label("n"))
        .where(
            col(Contribution.stand_id).in_(edition_stands), col(Contribution.status) != ModerationStatus.REJECTED.value
        )
        .group_by(col(Contribution.stand_id))
        .subquery()
    )
    contributed = (
        select(Contribution.stand_id, Contribution.participant_id)
        .where(col(Contribution.stand_id).in_(edition_stands), col(Contribution.participant_id).is_not(None))
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
            .where(col(Stand.edition_id) == edition, col(Stand.active))
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
        select(func.count())
        .select_from(Participant)
        .where(col(Participant.edition_id) == edition, col(Participant.treasure_found_at).is_not(None))
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


def _projects_label(session: Session, edition_id: int) -> str:
    row = session.get(Edition, edition_id)
    return row.projects_label if row is not None and row.projects_label else "Projets"


def check_stand_values(
    session: Session, values: StandValues, *, edition_id: int
) -> tuple[dict[str, Any], dict[str, str]]:
    """The stand's columns, or French messages per field (no typed text is quoted back); the theme and the
    project are looked up among the edition's own (their codes repeat from one edition to another)."""
    errors: dict[str, str] = {}
    code = values.code.strip().upper()
    if not STAND_CODE.fullmatch(code):
        errors["code"] = "Code de stand invalide : de 1 à 20 lettres, chiffres ou tirets (par ex. S01)."
    themes: dict[str, int] = {}
    for theme_id, theme_code in session.exec(select(Theme.id, Theme.code).where(Theme.edition_id == edition_id)).all():
        assert theme_id is not None
        themes[str(theme_id)] = themes[theme_code] = theme_id
    theme_id = themes.get(values.theme.strip())
    if theme_id is None:
        errors["theme"] = "Thème inconnu : indiquez le code d'un des thèmes de cette édition."
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
        ptce_id = session.exec(
            select(Ptce.id).where(col(Ptce.edition_id) == edition_id, col(Ptce.code) == values.ptce.strip())
        ).first()
        if ptce_id is None:
            label = _projects_label(session, edition_id)
            errors["ptce"] = (
                f"{label} : code inconnu dans cette édition. Indiquez le code de l'un d'eux, ou laissez vide."
            )
    columns = {
        "edition_id": edition_id,
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


def _edition_stand(session: Session, stand_id: int, edition_id: int) -> Stand:
    found = session.get(Stand, stand_id)
    if found is None or found.edition_id != edition_id:
        raise NotFoundError("Ce stand n'existe plus.")
    return found


def save_stand(
    session: Session, *, values: StandValues, actor: str, stand_id: int | None = None, edition_id: int | None = None
) -> int:
    """Create a stand of the edition (stand_id None) or edit one of its stands; returns its id. Codes stay unique
    within the edition (another edition's S01 is no clash)."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    require_writable(session=session, edition_id=edition)
    found = _edition_stand(session, stand_id, edition) if stand_id is not None else None
    columns, errors = check_stand_values(session, values, edition_id=edition)
    clash = session.exec(
        select(Stand).where(col(Stand.edition_id) == edition, col(Stand.code) == columns["code"])
    ).first()
    if clash is not None and clash.id != stand_id:
        errors["code"] = "Un autre stand de cette édition porte déjà ce code."
    if errors:
        raise ValidationError(errors)
    if found is None:
        if not values.position.strip():
            last = session.exec(select(func.max(Stand.position)).where(col(Stand.edition_id) == edition)).one()
            columns["position"] = int(last or 0) + 1
        stand = Stand(**columns)
        before = None
    else:
        stand = found
        before = stand.model_dump(exclude={"created_at"})
        for key, value in columns.items():
            setattr(stand, key, value)
    session.add(stand)
    session.flush()
    _audit_stand(session, actor, "stand.create" if stand_id is None else "stand.update", stand, before)
    assert stand.id is not None
    return stand.id


def move_stand(session: Session, *, stand_id: int, offset: int, actor: str, edition_id: int | None = None) -> None:
    """Move a stand up (-1) or down (+1) its edition's circuit; the edition's positions are renumbered 1, 2, 3…"""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    require_writable(session=session, edition_id=edition)
    stands = list(
        session.exec(
            select(Stand).where(col(Stand.edition_id) == edition).order_by(col(Stand.position), col(Stand.code))
        ).all()
    )
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


def import_stands_csv(
    session: Session, *, content: bytes, actor: str, edition_id: int | None = None
) -> StandImportReport:
    """Create or update the edition's stands from a CSV (UTF-8, ',' or ';'); bad rows are reported, good rows still
    saved. Codes (stands, themes, projects) are the edition's own."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    require_writable(session=session, edition_id=edition)
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
        columns, errors = check_stand_values(session, values, edition_id=edition)
        code = str(columns["code"])
        if code in seen and not errors:
            errors["code"] = "Ce code apparaît deux fois dans le fichier."
        if errors:
            shown = "" if has_forbidden_characters(code) else code[:20]  # the report is shown and downloaded
            rejected.append(RejectedRow(line, shown, " ; ".join(errors.values())))
            continue
        seen.add(code)
        existing = session.exec(select(Stand).where(col(Stand.edition_id) == edition, col(Stand.code) == code)).first()
        try:
            save_stand(
                session=session,
                values=values,
                actor=actor,
                stand_id=existing.id if existing else None,
                edition_id=edition,
            )
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
        after={"edition_id": edition, "created": created, "updated": updated, "rejected": len(rejected)},
    )
    return StandImportReport(created, updated, rejected)


def export_stands_csv(session: Session, *, edition_id: int | None = None) -> bytes:
    """The edition's stands as a CSV in the import's own columns (theme and project by code): edit, re-import."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    rows = [
        (p.code, p.name, p.experience, p.carrier, p.theme_code, p.description, p.question, p.position, p.ptce_code)
        for p in _stand_pages(session, edition)
    ]
    return csv_bytes(CSV_COLUMNS, rows)


def poster_stands(session: Session, *, edition_id: int | None = None) -> list[PosterStand]:
    """The edition's open stands as their posters need them (the QR code names the edition), in circuit order."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    row = session.get(Edition, edition)
    slug = row.slug if row is not None else ""
    return [
        PosterStand(s.code, s.name, s.theme_label, s.theme_color, s.position, slug)
        for s in list_circuit(session=session, edition_id=edition)
    ]


def list_ptce_codes(session: Session, *, edition_id: int | None = None) -> list[dict[str, str]]:
    """The edition's projects (PTCE) a stand can be linked to: code and name."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    rows = session.exec(select(Ptce).where(col(Ptce.edition_id) == edition).order_by(col(Ptce.name))).all()
    return [{"code": p.code, "name": p.name} for p in rows]
