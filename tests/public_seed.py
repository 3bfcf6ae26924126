"""A store with one published, one pending and one rejected contribution behind an orientation, each text with
a unique marker, and staff accounts: what the public results' tests (services, pages, browser) start from."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from db.engine import session_scope
from models import Orientation
from services import auth, contributions, moderation
from services.auth import Role
from services.codes import device_token
from services.contributions import ContributionDraft
from services.permissions import CONSOLE_ACTOR
from services.scope import resolve_edition_id

PASSWORD = "correct-horse-battery"
PUBLISHER = "publieur"  # staff: holds the exports permission
ORGANIZER = "organisatrice"  # organiser: live pages only
PENDING_MARKER = "ZXPENDINGQ7"
REJECTED_MARKER = "ZXREJECTEDK4"
PUBLISHED_MARKER = "ZXPUBLISHEDW2"
PENDING = f"Créer un guichet unique pour les associations {PENDING_MARKER}, appelez Claire Dubois au 06 12 34 56 78."
REJECTED = f"Texte refusé par la modération {REJECTED_MARKER} avec des propos hors sujet."
PUBLISHED = f"Simplifier les dossiers de subvention {PUBLISHED_MARKER} pour les petites associations."
FORMULA = '=HYPERLINK("http://exemple.invalid","clic") mutualiser les achats entre structures'


@dataclass(frozen=True)
class PublicSeed:
    edition_id: int
    orientation_code: str
    pending: int
    rejected: int
    published: int


def seed_public(engine: Engine) -> PublicSeed:
    """Staff accounts and three contributions (published, pending, rejected) on the first orientation."""
    with session_scope(engine, write=True) as session:
        for username, role in ((PUBLISHER, Role.STAFF), (ORGANIZER, Role.ORGANIZER)):
            auth.create_user(
                session=session, username=username, password=PASSWORD, role=role.value, actor=CONSOLE_ACTOR
            )
        edition_id = resolve_edition_id(session=session, edition_id=None)
        o = session.exec(
            select(Orientation).where(Orientation.edition_id == edition_id).order_by(col(Orientation.id))
        ).first()
        assert o is not None and o.id is not None
        oid, theme_id, code = o.id, o.theme_id, o.code
    author = device_token()

    def send(body: str, author_name: str = "", display_mode: str = "anonymous") -> int:
        draft = ContributionDraft(
            theme_id=theme_id,
            body=body,
            idempotency_key=uuid.uuid4().hex,
            orientation_id=oid,
            stance="support",
            author_name=author_name,
            display_mode=display_mode,
        )
        with session_scope(engine, write=True) as session:
            return int(contributions.submit_from_device(session, device_token=author, draft=draft).contribution_id)

    pending, rejected, published = send(PENDING), send(REJECTED), send(PUBLISHED)
    formula = send(FORMULA, author_name="Jeanne Martin", display_mode="name")
    with session_scope(engine, write=True) as session:
        moderation.reject(
            session, contribution_ids=[rejected], actor=CONSOLE_ACTOR, category="off_topic", reason="Hors sujet"
        )
        moderation.publish(session, contribution_ids=[published, formula], actor=CONSOLE_ACTOR)
    return PublicSeed(edition_id, code, pending, rejected, published)
