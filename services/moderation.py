"""Moderation of contributions by staff: the queue, publish / reject, theme, tags, masking, audit trail."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import AuditEvent, Contribution, ContributionTag, ModerationStatus, Orientation, Stand, Tag, Theme, utcnow
from services.audit import list_audit_events, record_audit_event
from services.errors import NotFoundError, ValidationError
from services.scope import require_writable, resolve_edition_id, theme_ids
from services.text import check_text

ENTITY = "contribution"
QUEUE_LIMIT = 500
REASON_MAX_CHARS = 300
TAG_MAX_CHARS = 60
MAX_TAGS_PER_ACTION = 10
THEME_REQUIRED = "Choisissez l'une des thématiques de la conférence."

# Personal data found in a contribution's text, flagged for staff and masked on request.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# French numbers, national (06 12 34 56 78, 06.12.34.56.78) or international (+33 6 12 34 56 78).
_PHONE = re.compile(r"(?<!\d)(?:(?:\+|00)33[\s.-]?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\d)")
# A third party named with a civility: « M. Dupont », « Madame Anne Martin », « Mme Le Goff ».
_NAMED = re.compile(
    r"\b(?:M\.|Mr\.?|Mme|Mlle|Monsieur|Madame|Mademoiselle|Dr\.?|Docteur|Maître|Me)\s+"
    r"(?:[A-ZÀ-Ý][\w'’-]+)(?:\s+[A-ZÀ-Ý][\w'’-]+)?"
)
# A third party named without a civility: a known given name then a capitalised surname, « Claire Dubois »,
# « Jean-Pierre Le Goff », « Sophie MARTIN ». Candidates are every capitalised word followed by another
# (a zero-width lookahead, so « Bonjour Claire Dubois » still reaches « Claire »); only those whose first
# word is a given name are kept: « Saint-Nazaire », « La Roche-sur-Yon », « France Active » are not people.
_UPPER, _LOWER = "A-ZÀ-ÖØ-Þ", "a-zß-öø-ÿ"
_CANDIDATE = re.compile(
    rf"(?<![\w'’-])(?=(?P<first>[{_UPPER}][{_LOWER}]+(?:-[{_UPPER}][{_LOWER}]+)*)\s+"
    rf"(?P<last>(?:(?:de|du|des|van|von|Le|La|De|Du|Van)\s+|[dD]['’])?[{_UPPER}][\w'’]+(?:-[{_UPPER}][\w'’]+)*)"
    rf"(?P<more>\s+[{_UPPER}][\w'’]+(?:-[{_UPPER}][\w'’]+)*)?)"
)
# Given names that are far more often a place or a fragment than a person in these texts.
_NOT_GIVEN_NAMES = frozenset({"France", "Lorraine", "Aude", "El", "Thi", "Nath", "Line"})


@functools.cache
def french_given_names() -> frozenset[str]:
    """Given names used in France, from Faker's person providers (MIT) for French-speaking locales.

    Faker (a well-kept, pinned dependency) ships these lists offline; they come from birth-register
    statistics of each country. Loaded on first use: importing Faker costs about half a second.
    """
    from faker.providers.person import fr_BE, fr_CA, fr_CH, fr_DZ, fr_FR  # noqa: PLC0415 (lazy: heavy import)

    names: set[str] = set()
    for module in (fr_FR, fr_BE, fr_CH, fr_CA, fr_DZ):
        for attr in ("first_names", "first_names_male", "first_names_female"):
            values = getattr(module.Provider, attr, ())
            names.update(values.keys() if isinstance(values, dict) else values)
    return frozenset(n for n in names if n not in _NOT_GIVEN_NAMES)


def _is_given_name(word: str, given: frozenset[str]) -> bool:
    return all(part in given for part in word.split("-"))


def _third_party_names(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of « Prénom Nom » in `text`: a known given name, then one or two capitalised words."""
    given = french_given_names()
    for m in _CANDIDATE.finditer(text):
        if not _is_given_name(m.group("first"), given):
            continue
        # « Anne Marie Dupont »: a third word only when the second is itself a given name.
        end = m.end("more") if m.group("more") and _is_given_name(m.group("last"), given) else m.end("last")
        yield m.start("first"), end


PERSONAL_DATA_KINDS: dict[str, str] = {"email": "courriel", "phone": "téléphone", "name": "nom"}
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (("email", _EMAIL), ("phone", _PHONE), ("name", _NAMED))


@dataclass(frozen=True)
class PersonalDataHit:
    kind: str  # a key of PERSONAL_DATA_KINDS
    text: str
    start: int
    end: int


def detect_personal_data(text: str) -> list[PersonalDataHit]:
    """Emails, phone numbers and names of third parties found in `text`, in reading order, never overlapping.

    Suggestions for staff to confirm: a name is flagged after a civility or as a known given name followed
    by a capitalised surname.
    """
    if not text:
        return []
    hits: list[PersonalDataHit] = []

    def add(kind: str, start: int, end: int) -> None:
        if not any(start < h.end and h.start < end for h in hits):
            hits.append(PersonalDataHit(kind, text[start:end], start, end))

    for kind, pattern in _PATTERNS:
        if kind == "email" and "@" not in text:
            continue  # the slowest scan, and the export masks every text of 100 000 contributions
        for m in pattern.finditer(text):
            add(kind, m.start(), m.end())
    for start, end in _third_party_names(text):
        add("name", start, end)
    return sorted(hits, key=lambda h: h.start)


def mask_personal_data(text: str) -> str:
    """`text` with every detected piece of personal data replaced by a bracketed French placeholder."""
    hits = detect_personal_data(text)
    if not hits:
        return text
    out, last = [], 0
    for hit in hits:
        out.append(text[last : hit.start])
        out.append(f"[{PERSONAL_DATA_KINDS[hit.kind]} masqué]")
        last = hit.end
    out.append(text[last:])
    return "".join(out)


@dataclass(frozen=True)
class QueueFilter:
    theme_id: int | None = None
    source: str | None = None
    stand_id: int | None = None
    status: str | None = ModerationStatus.PENDING.value


@dataclass(frozen=True)
class QueueItem:
    contribution_id: int
    receipt_code: str
    created_at: datetime
    theme_id: int
    theme_label: str
    source: str
    stand_name: str | None
    status: str
    title: str
    text: str  # the masked copy when there is one
    body: str  # as typed
    masked: bool
    rejection_reason: str
    tags: tuple[str, ...]
    flags: tuple[str, ...]  # kinds of personal data found in the text as typed


def _tags_of(session: Session, ids: Sequence[int]) -> dict[int, list[str]]:
    if not ids:
        return {}
    rows = session.exec(
        select(ContributionTag.contribution_id, Tag.label)
        .join(Tag, col(Tag.id) == col(ContributionTag.tag_id))
        .where(col(ContributionTag.contribution_id).in_(list(ids)))
        .order_by(col(Tag.label))
    ).all()
    tags: dict[int, list[str]] = {}
    for cid, label in rows:
        tags.setdefault(cid, []).append(label)
    return tags


def _base_query() -> Any:
    return (
        select(Contribution, Theme.short_label, Stand.name)
        .join(Theme, col(Theme.id) == col(Contribution.theme_id))
        .outerjoin(Stand, col(Stand.id) == col(Contribution.stand_id))
        .order_by(col(Contribution.created_at), col(Contribution.id))
    )


def list_queue(
    session: Session,
    *,
    filters: QueueFilter = QueueFilter(),
    limit: int = QUEUE_LIMIT,
    edition_id: int | None = None,
) -> list[QueueItem]:
    """The edition's contributions to moderate, oldest first, filtered by theme, source, stand and status."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    stmt = _base_query().where(Theme.edition_id == edition).limit(limit)
    if filters.status:
        stmt = stmt.where(Contribution.status == filters.status)
    if filters.theme_id is not None:
        stmt = stmt.where(Contribution.theme_id == filters.theme_id)
    if filters.source:
        stmt = stmt.where(Contribution.source == filters.source)
    if filters.stand_id is not None:
        stmt = stmt.where(Contribution.stand_id == filters.stand_id)
    return _items(session, session.exec(stmt).all())


def _items(session: Session, rows: Sequence[Any]) -> list[QueueItem]:
    tags = _tags_of(session, [c.id for c, _, _ in rows if c.id is not None])
    return [
        QueueItem(
            contribution_id=c.id or 0,
            receipt_code=c.receipt_code,
            created_at=c.created_at,
            theme_id=c.theme_id,
            theme_label=theme_label,
            source=c.source,
            stand_name=stand_name,
            status=c.status,
            title=c.title,
            text=c.masked_body if c.masked_body is not None else c.body,
            body=c.body,
            masked=c.masked_body is not None,
            rejection_reason=c.rejection_reason,
            tags=tuple(tags.get(c.id or 0, [])),
            flags=tuple(dict.fromkeys(h.kind for h in detect_personal_data(f"{c.title}\n{c.body}"))),
        )
        for c, theme_label, stand_name in rows
    ]


def get_item(session: Session, *, contribution_id: int, edition_id: int | None = None) -> QueueItem:
    """One contribution of the edition as the moderation queue shows it, whatever its status."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    items = _items(
        session,
        session.exec(_base_query().where(Contribution.id == contribution_id, Theme.edition_id == edition)).all(),
    )
    if not items:
        raise NotFoundError("Cette contribution n'existe pas.")
    return items[0]


def _rows(session: Session, ids: Sequence[int], edition_id: int | None) -> list[Contribution]:
    """The selected contributions for a staff change: all of the edition (another edition's do not exist here),
    and the edition not archived."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    unique = list(dict.fromkeys(ids))
    if not unique:
        raise ValidationError({"selection": "Sélectionnez au moins une contribution."})
    require_writable(session=session, edition_id=edition)
    rows = list(
        session.exec(
            select(Contribution).where(
                col(Contribution.id).in_(unique),
                col(Contribution.theme_id).in_(theme_ids(session=session, edition_id=edition)),
            )
        ).all()
    )
    if len(rows) != len(unique):
        raise NotFoundError("Une des contributions sélectionnées n'existe plus : rechargez la page.")
    return sorted(rows, key=lambda r: r.id or 0)


def _change(session: Session, row: Contribution, actor: str, action: str, **changes: Any) -> bool:
    """Apply `changes` to `row` and audit them (fields before and after); False when nothing changed."""
    before = {k: getattr(row, k) for k in changes}
    if before == changes:
        return False
    for key, value in changes.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    session.add(row)
    record_audit_event(
        session=session,
        actor=actor,
        action=action,
        entity_type=ENTITY,
        entity_id=row.id or 0,
        before=before,
        after=changes,
    )
    return True


def publish(session: Session, *, contribution_ids: Sequence[int], actor: str, edition_id: int | None = None) -> int:
    """Publish the selected contributions; returns how many changed."""
    return sum(
        _change(session, r, actor, "contribution.publish", status=ModerationStatus.PUBLISHED.value, rejection_reason="")
        for r in _rows(session, contribution_ids, edition_id)
    )


def reject(
    session: Session, *, contribution_ids: Sequence[int], actor: str, reason: str, edition_id: int | None = None
) -> int:
    """Reject the selected contributions with a reason staff can read later; returns how many changed."""
    clean, problem = check_text(reason, label="Le motif du rejet", min_chars=3, max_chars=REASON_MAX_CHARS)
    if problem:
        raise ValidationError({"reason": problem})
    return sum(
        _change(
            session, r, actor, "contribution.reject", status=ModerationStatus.REJECTED.value, rejection_reason=clean
        )
        for r in _rows(session, contribution_ids, edition_id)
    )


def return_to_queue(
    session: Session, *, contribution_ids: Sequence[int], actor: str, edition_id: int | None = None
) -> int:
    """Undo a decision: back to « à modérer »."""
    return sum(
        _change(session, r, actor, "contribution.requeue", status=ModerationStatus.PENDING.value, rejection_reason="")
        for r in _rows(session, contribution_ids, edition_id)
    )


def change_theme(
    session: Session, *, contribution_ids: Sequence[int], theme_id: int, actor: str, edition_id: int | None = None
) -> int:
    """Move contributions to another theme of the same edition; an orientation of the former theme no longer
    applies."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    theme = session.get(Theme, theme_id)
    if theme is None or theme.edition_id != edition:
        raise ValidationError({"theme_id": THEME_REQUIRED})
    changed = 0
    for row in _rows(session, contribution_ids, edition):
        changes: dict[str, Any] = {"theme_id": theme_id}
        if row.orientation_id is not None:
            orientation = session.get(Orientation, row.orientation_id)
            if orientation is not None and orientation.theme_id != theme_id:
                changes |= {"orientation_id": None, "stance": None}
        changed += _change(session, row, actor, "contribution.theme", **changes)
    return changed


def _clean_tags(labels: Sequence[str]) -> list[str]:
    cleaned: list[str] = []
    for raw in labels:
        text, problem = check_text(raw, label="Une étiquette", max_chars=TAG_MAX_CHARS, required=False)
        if problem:
            raise ValidationError({"tags": problem})
        text = " ".join(text.split()).lower()
        if text and text not in cleaned:
            cleaned.append(text)
    if not cleaned:
        raise ValidationError({"tags": "Indiquez au moins une étiquette."})
    if len(cleaned) > MAX_TAGS_PER_ACTION:
        raise ValidationError({"tags": f"{MAX_TAGS_PER_ACTION} étiquettes au plus à la fois."})
    return cleaned


def split_tags(text: str) -> list[str]:
    """« économie circulaire, emploi ; jeunes » → three labels (commas or semicolons)."""
    return [part.strip() for part in re.split(r"[,;]", text or "") if part.strip()]


def add_tags(
    session: Session,
    *,
    contribution_ids: Sequence[int],
    labels: Sequence[str],
    actor: str,
    edition_id: int | None = None,
) -> int:
    """Attach tags (created on first use) to the selected contributions; returns the links added."""
    wanted = _clean_tags(labels)
    rows = _rows(session, contribution_ids, edition_id)
    tag_ids: dict[str, int] = {}
    for label in wanted:
        tag = session.exec(select(Tag).where(Tag.label == label)).first()
        if tag is None:
            tag = Tag(label=label)
            session.add(tag)
            session.flush()
        assert tag.id is not None
        tag_ids[label] = tag.id
    current = _tags_of(session, [r.id or 0 for r in rows])
    added = 0
    for row in rows:
        before = current.get(row.id or 0, [])
        new = [label for label in wanted if label not in before]
        if not new:
            continue
        for label in new:
            session.add(ContributionTag(contribution_id=row.id or 0, tag_id=tag_ids[label]))
        added += len(new)
        record_audit_event(
            session=session,
            actor=actor,
            action="contribution.tags",
            entity_type=ENTITY,
            entity_id=row.id or 0,
            before={"tags": before},
            after={"tags": sorted(before + new)},
        )
    return added


def remove_tag(
    session: Session, *, contribution_id: int, label: str, actor: str, edition_id: int | None = None
) -> bool:
    """Detach one tag from one contribution."""
    row = _rows(session, [contribution_id], edition_id)[0]
    before = _tags_of(session, [contribution_id]).get(contribution_id, [])
    tag = session.exec(select(Tag).where(Tag.label == label)).first()
    if tag is None or label not in before:
        return False
    link = session.get(ContributionTag, (contribution_id, tag.id))
    if link is not None:
        session.delete(link)
    record_audit_event(
        session=session,
        actor=actor,
        action="contribution.tags",
        entity_type=ENTITY,
        entity_id=row.id or 0,
        before={"tags": before},
        after={"tags": [t for t in before if t != label]},
    )
    return True


def list_tags(session: Session, *, edition_id: int | None = None) -> list[str]:
    """The tags staff put on the edition's contributions (the labels are shared, each edition sees its own)."""
    themes = theme_ids(session=session, edition_id=resolve_edition_id(session=session, edition_id=edition_id))
    return list(
        session.exec(
            select(Tag.label)
            .distinct()
            .join(ContributionTag, col(ContributionTag.tag_id) == col(Tag.id))
            .join(Contribution, col(Contribution.id) == col(ContributionTag.contribution_id))
            .where(col(Contribution.theme_id).in_(themes))
            .order_by(col(Tag.label))
        ).all()
    )


def set_masked_text(
    session: Session, *, contribution_id: int, masked_text: str | None, actor: str, edition_id: int | None = None
) -> bool:
    """Store the copy shown instead of the text as typed (personal data masked); None removes it."""
    row = _rows(session, [contribution_id], edition_id)[0]
    value: str | None = None
    if masked_text is not None:
        value, problem = check_text(masked_text, label="Le texte masqué", min_chars=1, max_chars=4000)
        if problem:
            raise ValidationError({"masked_body": problem})
        if value == row.body:
            value = None
    return _change(session, row, actor, "contribution.mask", masked_body=value)


def mask_automatically(
    session: Session, *, contribution_ids: Sequence[int], actor: str, edition_id: int | None = None
) -> int:
    """Mask the detected personal data of the selected contributions; those without any are left alone."""
    changed = 0
    for row in _rows(session, contribution_ids, edition_id):
        masked = mask_personal_data(row.body)
        if masked != row.body:
            changed += _change(session, row, actor, "contribution.mask", masked_body=masked)
    return changed


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    actor: str
    action: str
    before: dict[str, Any]
    after: dict[str, Any]


def contribution_history(
    session: Session, *, contribution_id: int, edition_id: int | None = None
) -> list[HistoryEntry]:
    """Every staff action on one contribution of the edition, latest first."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    row = session.get(Contribution, contribution_id)
    if row is None or row.theme_id not in theme_ids(session=session, edition_id=edition):
        raise NotFoundError("Cette contribution n'existe pas.")
    events: list[AuditEvent] = list_audit_events(session=session, entity_type=ENTITY, entity_id=contribution_id)
    return [HistoryEntry(e.created_at, e.actor, e.action, e.before or {}, e.after or {}) for e in events]


@dataclass(frozen=True)
class BacklogRow:
    theme_id: int
    theme_label: str
    pending: int
    published: int
    rejected: int


def backlog_by_theme(session: Session, *, edition_id: int | None = None) -> list[BacklogRow]:
    """The edition's contributions per theme and moderation status (every theme, zero included), for organisers
    too."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    themes = session.exec(
        select(Theme).where(Theme.edition_id == edition).order_by(col(Theme.position), col(Theme.id))
    ).all()
    counts = session.exec(
        select(Contribution.theme_id, Contribution.status, func.count())
        .where(col(Contribution.theme_id).in_([t.id for t in themes]))
        .group_by(col(Contribution.theme_id), col(Contribution.status))
    ).all()
    by: dict[tuple[int, str], int] = {(t, s): int(n) for t, s, n in counts}
    return [
        BacklogRow(
            t.id or 0,
            t.short_label,
            by.get((t.id or 0, ModerationStatus.PENDING.value), 0),
            by.get((t.id or 0, ModerationStatus.PUBLISHED.value), 0),
            by.get((t.id or 0, ModerationStatus.REJECTED.value), 0),
        )
        for t in themes
    ]
