"""The audit trail of staff actions."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from models import AuditEvent


def record_audit_event(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str | int = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append one event; written in the caller's transaction so it commits with the change."""
    session.add(
        AuditEvent(
            actor=actor,
            action=action,
            entity_type=entity_type,
            entity_id=str(entity_id),
            before=before,
            after=after,
        )
    )


def audit(
    session: Session,
    actor: str,
    action: str,
    entity_id: str | int | None = None,
    *,
    entity_type: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Record one staff action in the caller's transaction: the one way services write the audit trail.

    Naming rule: `action` is "<entity>.<verb>" in lower case ("orientation.move", "user.create",
    "vote.paper.withdraw"); the entity type is the part before the first dot unless the stored table
    name differs (`entity_type="staffuser"`). An id not known yet (None) is stored as "".
    """
    if "." not in action or action != action.lower():
        raise ValueError(f"audit action {action!r} must read '<entity>.<verb>' in lower case")
    record_audit_event(
        session,
        actor=actor,
        action=action,
        entity_type=entity_type or action.split(".", 1)[0],
        entity_id="" if entity_id is None else entity_id,
        before=before,
        after=after,
    )


def list_audit_events(
    session: Session, *, entity_type: str | None = None, entity_id: str | int | None = None, limit: int = 200
) -> list[AuditEvent]:
    """Latest events first, optionally for one record."""
    stmt = select(AuditEvent)
    if entity_type is not None:
        stmt = stmt.where(AuditEvent.entity_type == entity_type)
    if entity_id is not None:
        stmt = stmt.where(AuditEvent.entity_id == str(entity_id))
    stmt = stmt.order_by(col(AuditEvent.created_at).desc(), col(AuditEvent.id).desc()).limit(limit)
    return list(session.exec(stmt).all())
