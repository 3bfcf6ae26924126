"""Destructive and disclosing services check the actor's role in the store themselves, not only the pages."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from db.engine import session_scope
from services import auth, contributions, data_export, editions, privacy
from services.bootstrap import reload_reference_data
from services.contributions import ContributionDraft
from services.errors import PermissionDenied
from services.permissions import CONSOLE_ACTOR, DENIED
from tests.editions import second_pack

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "un-mot-de-passe-solide"


def run(engine: Engine, fn: Callable[..., Any], **kw: Any) -> Any:
    with session_scope(engine, write=True) as session:
        return fn(session=session, **kw)


@pytest.fixture
def engine(store_engine: Engine) -> Engine:
    """One account per role, a deactivated staff member, and one contribution with a receipt."""
    for username, role in (("adele", "admin"), ("sami", "staff"), ("olga", "organizer"), ("ex", "staff")):
        run(store_engine, auth.create_user, username=username, password=PASSWORD, role=role, actor=CONSOLE_ACTOR)
    run(store_engine, auth.update_user, username="ex", active=False, actor="adele")
    return store_engine


def receipt(engine: Engine) -> str:
    draft = ContributionDraft(
        theme_id=1, body="Une idée pour les tiers-lieux du territoire.", idempotency_key=uuid.uuid4().hex
    )
    code: str = run(engine, contributions.submit_contribution, draft=draft).receipt_code
    return code


# Each guarded call, and the roles that may make it (the console always may).
CALLS: list[tuple[str, Callable[[Engine], dict[str, Any]], Callable[..., Any], set[str]]] = [
    ("accès RGPD", lambda e: {"code": receipt(e)}, privacy.find_personal_data, {"adele", "sami"}),
    ("effacement", lambda e: {"code": receipt(e)}, privacy.erase_personal_data, {"adele", "sami"}),
    ("purge", lambda e: {"retention_months": 24, "dry_run": True}, privacy.purge_personal_data, {"adele", "sami"}),
    ("export complet", lambda e: {"anonymised": False}, data_export.excel_export, {"adele", "sami"}),
    ("export CSV", lambda e: {}, data_export.csv_export, {"adele", "sami"}),
    ("rechargement des données de référence", lambda e: {"edition_id": 1}, reload_reference_data, {"adele"}),
    ("import d'un pack d'édition", lambda e: {"pack": second_pack()}, editions.import_pack, {"adele"}),
    (
        "copie d'une édition",
        lambda e: {"source_id": 1, "settings": {"slug": f"copie-{uuid.uuid4().hex[:6]}", "start_date": "2030-06-01"}},
        editions.copy_edition,
        {"adele"},
    ),
    (
        "réglages d'une édition",
        lambda e: {"edition_id": 1, "values": {"city": "Nantes"}},
        editions.update_edition_settings,
        {"adele"},
    ),
    (
        "création de compte",
        lambda e: {"username": f"u{uuid.uuid4().hex[:8]}", "password": PASSWORD, "role": "admin"},
        auth.create_user,
        {"adele"},
    ),
    ("changement de rôle", lambda e: {"username": "olga", "role": "staff"}, auth.update_user, {"adele"}),
    (
        "mot de passe d'un autre",
        lambda e: {"username": "olga", "new_password": "encore-un-mot-de-passe"},
        auth.change_password,
        {"adele"},
    ),
]


@pytest.mark.parametrize(("label", "args", "fn", "allowed"), CALLS, ids=[c[0] for c in CALLS])
def test_guarded_services_check_the_actor_in_the_store(
    engine: Engine, label: str, args: Callable[[Engine], dict[str, Any]], fn: Callable[..., Any], allowed: set[str]
) -> None:
    for actor in ("adele", "sami", "olga", "ex", "inconnu", "", "system", "manage.py"):
        if actor in allowed:
            run(engine, fn, actor=actor, **args(engine))
            continue
        with pytest.raises(PermissionDenied) as denied:
            run(engine, fn, actor=actor, **args(engine))
        assert denied.value.message == DENIED, (label, actor)
    run(engine, fn, actor=CONSOLE_ACTOR, **args(engine))


def test_a_role_taken_away_applies_at_the_next_call(engine: Engine) -> None:
    code = receipt(engine)
    assert run(engine, privacy.find_personal_data, code=code, actor="sami").contributions
    run(engine, auth.update_user, username="sami", role="organizer", actor="adele")
    with pytest.raises(PermissionDenied):
        run(engine, privacy.erase_personal_data, code=code, actor="sami")


def test_one_s_own_password_needs_only_the_old_one(engine: Engine) -> None:
    run(
        engine,
        auth.change_password,
        username="olga",
        old_password=PASSWORD,
        new_password="un-autre-mot-de-passe",
        actor="olga",
    )
    with pytest.raises(PermissionDenied):  # without the old password, it is a reset: an admin's right
        run(engine, auth.change_password, username="olga", new_password="encore-un-mot-de-passe", actor="olga")


def test_the_console_actor_can_never_be_an_account_name(engine: Engine) -> None:
    assert not auth.USERNAME_RE.match(CONSOLE_ACTOR)
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("app_pages", "ui")
        for path in (ROOT / folder).rglob("*.py")
        if "CONSOLE_ACTOR" in path.read_text(encoding="utf-8")
    ]
    assert offenders == [], "pages act as the logged-in account, never as the console"
