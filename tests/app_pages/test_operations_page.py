"""« Opérations du jour » under AppTest: its figures and alerts for the organisers, nothing for anyone else."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from db.engine import session_scope
from models import AuditEvent, Edition, EditionStatus
from services import operations
from services.contributions import ContributionDraft, submit_contribution
from services.formatting import PARIS, format_number
from services.permissions import Permission, role_allows
from tests.app_pages.helpers import ROLES, account, app_as, script, texts

pytestmark = pytest.mark.usefixtures("app_env")

PAGE = "app_pages/operations.py"
CHARTS = ["ops_chart_decisions", "ops_chart_origins", "ops_chart_devices"]


def add(at: datetime, *, status: str = "pending", source: str = "conference") -> int:
    with session_scope(write=True) as session:
        receipt = submit_contribution(
            session=session,
            draft=ContributionDraft(
                theme_id=1,
                body=f"Une idée pour la stratégie régionale, numéro {uuid.uuid4().hex[:6]}.",
                idempotency_key=uuid.uuid4().hex,
                status=status,
                source=source,
                created_at=at,
            ),
        )
    return receipt.contribution_id


def event_is_today() -> None:
    """The page reads the real clock: make the default edition's conference today, and open."""
    with session_scope(write=True) as session:
        edition = session.exec(select(Edition).where(Edition.is_default)).one()
        edition.start_date = edition.end_date = datetime.now(PARIS).date()
        edition.status = EditionStatus.OPEN.value
        session.add(edition)


def open_page(role: str) -> AppTest:
    at = app_as(role).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    # No-break spaces (« 35 min ») read as plain ones.
    return {str(m.label): str(m.value).replace("\u00a0", " ") for m in at.metric}


@pytest.mark.parametrize("role", ROLES)
def test_only_roles_with_the_live_figures_may_open_it(role: str | None) -> None:
    at = app_as(role).run()
    if not role_allows(role, Permission.LIVE):
        with pytest.raises(ValueError):  # a participant's session does not even register the page
            at.switch_page(PAGE)
        return
    at.switch_page(PAGE).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Opérations du jour"]


@pytest.mark.parametrize("role", [None, "nobody"])
def test_it_guards_itself_when_run_directly(role: str | None) -> None:
    at = AppTest.from_file(script(PAGE), default_timeout=30)
    if role is not None:
        at.session_state["staff_account"] = account(role)
    at.run()
    assert not at.exception
    assert not at.metric and not at.get("plotly_chart")
    assert "réservée aux équipes habilitées" in texts(at)


def test_an_organiser_sees_every_figure_and_the_alerts_they_raise() -> None:
    event_is_today()
    now = datetime.now(UTC)
    add(now - timedelta(minutes=35))
    add(now - timedelta(minutes=3))
    published = add(now - timedelta(minutes=2), status="published", source="workshop")
    with session_scope(write=True) as session:
        session.add(
            AuditEvent(
                actor="moderatrice",
                action="contribution.publish",
                entity_type="contribution",
                entity_id=str(published),
                created_at=now - timedelta(seconds=30),
            )
        )
    at = open_page("organizer")
    shown = metrics(at)
    assert shown["À modérer"] == "2"
    assert shown["Attente la plus longue"] == "35 min"
    idle, open_stands = shown["Stands sans visite depuis 30 min"].split(" / ")
    assert idle == open_stands != "0"  # nobody visited any stand yet
    assert shown["Décisions ce quart d'heure"] in {"0", "1"}  # the decision may fall in the previous quarter
    assert shown["Dernière sauvegarde"] == "aucune"
    assert shown["Latence d'écriture"].endswith(" ms")
    assert shown["Taille de la base"].endswith(" Mo")
    assert [str(c.key) for c in at.get("plotly_chart")] == CHARTS
    assert not at.success
    warnings = [str(w.value).replace("\u00a0", " ") for w in at.warning]
    errors = [str(e.value).replace("\u00a0", " ") for e in at.error]
    assert any(w.startswith("La plus ancienne contribution attend la modération depuis 35 min") for w in warnings)
    assert any("stand(s) ouvert(s) sans visite depuis 30 min" in w for w in warnings)
    assert errors == ["Aucune sauvegarde notée pour cette base : lancez « manage.py backup » (voir le README)."]
    assert "Stands sans visite depuis 30 minutes" in texts(at)


def test_outside_the_event_a_quiet_store_is_all_clear() -> None:
    at = open_page("staff")
    assert [s.value for s in at.success] == ["Tous les indicateurs sont dans leur plage normale."]
    assert not at.warning and not at.error
    assert metrics(at)["À modérer"] == "0"
    assert metrics(at)["Attente la plus longue"] == "—"


def test_thresholds_are_the_services(monkeypatch: pytest.MonkeyPatch) -> None:
    """The page raises what the service assessed: a slow write is an error on screen past its threshold."""
    real = operations.operations_board

    def slow(session, **kwargs):  # type: ignore[no-untyped-def]
        return real(session, **kwargs, probe=lambda _s, **_kw: operations.WRITE_LATENCY_ERROR_S + 1)

    monkeypatch.setattr(operations, "operations_board", slow)
    at = open_page("admin")
    slow_ms = format_number((operations.WRITE_LATENCY_ERROR_S + 1) * 1000)
    assert [str(e.value).replace("\u00a0", " ") for e in at.error] == [
        f"Écriture lente : {slow_ms} ms pour commencer une écriture (normal : moins de 500 ms)."
    ]
    assert metrics(at)["Latence d'écriture"] == f"{slow_ms} ms"
