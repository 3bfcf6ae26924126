"""Finding and masking erased values wherever the app copied them: texts, the audit trail, the groups' texts."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from models import Answer, AuditEvent, Contribution, ContributionGroup, ContributionGroupMember, QuestionnaireResponse
from services.grouping import ENTITY as GROUP_ENTITY
from services.moderation import detect_personal_data, mask_personal_data

# What replaces an erased value found verbatim in a copy (a rejection reason, a group's text).
ERASED = "[donnée effacée]"
# Keys of the audit trail's before/after that hold what people typed, or a copy of it.
AUDIT_TEXT_KEYS = frozenset(
    {"body", "masked_body", "title", "author_name", "organisation", "rejection_reason", "representative_text"}
)
# Shorter erased values would be replaced inside ordinary words.
_MIN_SECRET_CHARS = 3


def _secrets(fields: Iterable[str | None], texts: Iterable[str | None] = ()) -> set[str]:
    """The erased values worth searching for in copies: whole personal fields, and the personal data in texts."""
    found = {value.strip() for value in fields if value}
    for text in texts:
        if text:
            found.update(hit.text.strip() for hit in detect_personal_data(text))
    return {v for v in found if len(v) >= _MIN_SECRET_CHARS}


_WORD = re.compile(r"\S+")


def _masked_by_staff(body: str, masked: str) -> set[str]:
    """What staff replaced by hand with a bracketed placeholder (or deleted) in a masked copy of `body`.

    Compared word by word: the detector may not know that a nickname or a street was personal, but the copy
    staff made says so. Words kept as they were, or merely rewritten, are not taken for personal data.
    """
    words = list(_WORD.finditer(body))
    masked_words = _WORD.findall(masked)
    matcher = difflib.SequenceMatcher(None, [w.group() for w in words], masked_words, autojunk=False)
    found: set[str] = set()
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        replacement = " ".join(masked_words[j1:j2])
        if i2 > i1 and (tag == "delete" or (tag == "replace" and "[" in replacement and "]" in replacement)):
            span = body[words[i1].start() : words[i2 - 1].end()].strip(" ,.;:!?()«»\"'")
            if span:
                found.add(span)
    return found


def scrub(text: str, secrets: set[str]) -> str:
    """`text` with its personal data masked, then each erased value still in it, as a whole word, replaced.

    Case counts: an organisation called « Tiers-lieu » is erased, the common noun « tiers-lieu » in a text stays.
    """
    text = mask_personal_data(text)
    for secret in sorted(secrets, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(secret)}(?!\w)", ERASED, text)
    return text


def scrub_json(value: Any, secrets: set[str]) -> Any:
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, dict):
        return {k: scrub_json(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_json(v, secrets) for v in value]
    return value


_CHUNK = 500  # ids per IN (...) list


def events_of(session: Session, entity_type: str, entity_ids: Iterable[int]) -> dict[int, list[AuditEvent]]:
    """The audit events of these records, by record id: read in chunks, not one query per record."""
    ids = sorted({str(i) for i in entity_ids})
    found: dict[int, list[AuditEvent]] = {}
    for start in range(0, len(ids), _CHUNK):
        for event in session.exec(
            select(AuditEvent).where(
                AuditEvent.entity_type == entity_type, col(AuditEvent.entity_id).in_(ids[start : start + _CHUNK])
            )
        ).all():
            found.setdefault(int(event.entity_id), []).append(event)
    return found


def drop_texts(event: AuditEvent) -> None:
    """Keep the event (who did what, when, and every other field), drop the texts it held."""
    for side in ("before", "after"):
        data = getattr(event, side)
        if data and any(k in AUDIT_TEXT_KEYS and v for k, v in data.items()):
            # A new dict: the JSON column sees reassignment, not mutation in place.
            setattr(event, side, dropped(data))


def contribution_secrets(c: Contribution, events: list[AuditEvent]) -> set[str]:
    """A contribution's erased values: its name and organisation, personal data in its text, title, reason, trail,
    and what staff masked by hand in any of its masked copies (the current one and those the trail kept)."""
    trail = [
        v
        for e in events
        for side in (e.before or {}, e.after or {})
        for k, v in side.items()
        if k in AUDIT_TEXT_KEYS and isinstance(v, str)
    ]
    secrets = _secrets([c.author_name, c.organisation], [c.title, c.body, c.masked_body, c.rejection_reason, *trail])
    copies = [c.masked_body or ""] + [
        str(side.get("masked_body") or "") for e in events for side in (e.before or {}, e.after or {})
    ]
    for copy in copies:
        if copy:
            secrets |= {s for s in _masked_by_staff(c.body, copy) if len(s) >= _MIN_SECRET_CHARS}
    return secrets


def dropped(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if not data:
        return data
    return {k: (ERASED if k in AUDIT_TEXT_KEYS and v else v) for k, v in data.items()}


def scrub_groups(session: Session, erased: list[tuple[Contribution, set[str]]]) -> None:
    """Groups whose representative text copies an erased text (a member's, or any holding an erased value),
    and their audit events: the erased values replaced, personal data masked."""
    if not erased:
        return
    ids = [c.id for c, _ in erased]
    member_of: dict[int, set[int]] = {}
    for start in range(0, len(ids), _CHUNK):
        for group_id, cid in session.exec(
            select(ContributionGroupMember.group_id, ContributionGroupMember.contribution_id).where(
                col(ContributionGroupMember.contribution_id).in_(ids[start : start + _CHUNK])
            )
        ).all():
            member_of.setdefault(group_id, set()).add(cid)
    by_id = {c.id: secrets for c, secrets in erased}
    every = set().union(*by_id.values())
    themes = sorted({c.theme_id for c, _ in erased})
    scrubbed: dict[int, set[str]] = {}
    for group in session.exec(select(ContributionGroup).where(col(ContributionGroup.theme_id).in_(themes))).all():
        gid = group.id or 0
        text = group.representative_text
        secrets = set().union(*(by_id[cid] for cid in member_of.get(gid, ()))) | {v for v in every if v in text}
        if gid not in member_of and not secrets:
            continue
        scrubbed[gid] = secrets
        if (new := scrub(text, secrets)) != text:
            group.representative_text = new
            session.add(group)
    for gid, events in events_of(session, GROUP_ENTITY, scrubbed).items():
        for event in events:
            before, after = scrub_json(event.before, scrubbed[gid]), scrub_json(event.after, scrubbed[gid])
            if (before, after) != (event.before, event.after):
                event.before, event.after = before, after
                session.add(event)


def response_secrets(session: Session, r: QuestionnaireResponse) -> set[str]:
    texts = session.exec(select(Answer.value_text).where(Answer.response_id == r.id)).all()
    return _secrets([r.respondent_name, r.email, r.organisation], texts)
