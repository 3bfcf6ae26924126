"""The treasure-hunt pages with two editions in the store: the QR code's `?edition=` decides which S01 opens, a phone
holds one passport per edition, and organisers see the edition chosen in the sidebar."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from core.config import get_settings
from db.engine import session_scope
from models import Edition, EditionStatus, Participant, Stand, StandVisit
from services import circuit, contributions
from services.codes import device_token
from tests.app_pages.helpers import app_as, texts
from tests.editions import FIRST_EDITION_ID, load_second_edition
from ui.edition import K_SLUG
from ui.participant import token_key

pytestmark = pytest.mark.usefixtures("app_env")
FIRST = "pays-de-la-loire-2016"
SECOND = "centre-val-de-loire-2022"
FIRST_S01 = "Le portail ESSOR"
SECOND_S01 = "France Active Centre-Val de Loire"


@pytest.fixture
def second() -> int:
    with session_scope(write=True) as session:
        return load_second_edition(session)


def open_page(path: str, query: dict[str, str], *, at: AppTest | None = None, role: str | None = None) -> AppTest:
    """Open `path` as a scanned address would (its query), in a new session or in `at`'s."""
    if at is None:
        at = app_as(role)
        at.run()
    at.query_params.clear()
    at.query_params.update(query)
    at.switch_page(path).run()
    assert not at.exception
    return at


def visits_by_edition() -> list[tuple[str, int]]:
    with session_scope() as session:
        rows = session.exec(
            select(Stand.code, Participant.edition_id)
            .join(StandVisit, StandVisit.stand_id == Stand.id)  # type: ignore[arg-type]
            .join(Participant, Participant.id == StandVisit.participant_id)  # type: ignore[arg-type]
        ).all()
    return sorted((code, int(edition)) for code, edition in rows)


def set_status(edition_id: int, status: EditionStatus) -> None:
    with session_scope(write=True) as session:
        row = session.get(Edition, edition_id)
        assert row is not None
        row.status = status.value
        session.add(row)


def test_the_qr_codes_edition_opens_its_own_s01_and_the_phone_keeps_one_passport_per_edition(second: int) -> None:
    at = open_page("app_pages/stand.py", {"code": "S01", "edition": SECOND})
    assert SECOND_S01 in [t.value for t in at.text] and FIRST_S01 not in texts(at)
    at.button(key="stand_visit").click().run()
    assert "Visite enregistrée dans votre passeport." in texts(at)
    second_token = at.session_state[token_key(SECOND)]
    assert visits_by_edition() == [("S01", second)]

    # The same phone scans the 2016 S01: a stand it has not visited there, a passport of its own.
    open_page("app_pages/stand.py", {"code": "S01", "edition": FIRST}, at=at)
    assert FIRST_S01 in [t.value for t in at.text]
    at.button(key="stand_visit").click().run()
    assert not at.exception
    first_token = at.session_state[token_key(FIRST)]
    assert first_token != second_token
    assert visits_by_edition() == [("S01", FIRST_EDITION_ID), ("S01", second)]
    with session_scope() as session:
        owners = {p.device_token: p.edition_id for p in session.exec(select(Participant)).all()}
    assert owners == {first_token: FIRST_EDITION_ID, second_token: second}

    # Each passport shows its own edition: four themes in 2022, five in 2016, one stand each.
    open_page("app_pages/passport.py", {"edition": SECOND}, at=at)
    assert "Thèmes couverts : 1 sur 4" in str(at.get("progress")[0].proto)
    assert next(m.value for m in at.metric if m.label == "Stands visités") == "1"
    open_page("app_pages/passport.py", {"edition": FIRST}, at=at)
    assert "Thèmes couverts : 1 sur 5" in str(at.get("progress")[0].proto)


def test_a_token_of_another_edition_neither_shows_nor_changes_its_passport(second: int) -> None:
    token = device_token()
    with session_scope(write=True) as session:
        circuit.visit_stand(session=session, device_token=token, stand_code="S04", edition_id=FIRST_EDITION_ID)
    # A session that (somehow) holds the 2016 token for 2022.
    at = app_as(None)
    at.session_state[token_key(SECOND)] = token
    at.run()
    open_page("app_pages/passport.py", {"edition": SECOND}, at=at)
    assert "Code de votre passeport" not in [m.label for m in at.metric]
    assert next(m.value for m in at.metric if m.label == "Stands visités") == "0"
    open_page("app_pages/stand.py", {"code": "S02", "edition": SECOND}, at=at)
    at.button(key="stand_visit").click().run()
    assert not at.exception
    assert any("Ce téléphone n'est pas reconnu" in w.value for w in at.warning)
    assert visits_by_edition() == [("S04", FIRST_EDITION_ID)]


def test_an_archived_editions_stand_is_read_only(second: int) -> None:
    set_status(second, EditionStatus.ARCHIVED)
    at = open_page("app_pages/stand.py", {"code": "S01", "edition": SECOND})
    assert SECOND_S01 in [t.value for t in at.text]
    assert "les visites ne s'enregistrent plus" in texts(at)
    assert not [b for b in at.button if b.key == "stand_visit"]


def test_the_circuit_page_lists_the_editions_stands_with_links_that_name_it(second: int) -> None:
    at = open_page("app_pages/circuit.py", {"edition": SECOND})
    assert len(at.dataframe) == 4  # four themes, each with its stands
    links = [link for frame in at.dataframe for link in frame.value["Page"]]
    assert len(links) == 10 and all(link.endswith(f"&edition={SECOND}") for link in links)
    assert "Projets présentés" in [el.proto.label for el in at.get("page_link")]


def test_admins_manage_the_stands_of_the_edition_chosen_in_the_sidebar(second: int) -> None:
    at = app_as("admin")
    at.session_state[K_SLUG] = SECOND
    at.run()
    at.switch_page("app_pages/admin_stands.py").run()
    assert not at.exception
    table = at.dataframe[0].value  # the circuit tab's table
    assert list(table["Code"]) == [f"S{n:02d}" for n in range(1, 11)]
    assert "Projets présentés" in table.columns
    captions = [c.value for c in at.caption]
    assert sum(f"edition={SECOND}" in c.replace("\\", "") for c in captions) == 10
    at.selectbox(key="admin_stands_move").set_value("S03").run()
    at.button(key="admin_stands_up").click().run()
    assert not at.exception
    with session_scope() as session:
        positions = dict(session.exec(select(Stand.edition_id, Stand.position).where(Stand.code == "S03")).all())
    assert positions == {second: 2, FIRST_EDITION_ID: 3}


def test_organisers_follow_the_live_circuit_of_the_chosen_edition(second: int) -> None:
    with session_scope(write=True) as session:
        circuit.visit_stand(session=session, device_token=device_token(), stand_code="S01", edition_id=second)
    for slug, hunters in ((SECOND, "1"), (FIRST, "0")):
        at = app_as("organizer")
        at.session_state[K_SLUG] = slug
        at.run()
        at.switch_page("app_pages/circuit_live.py").run()
        assert not at.exception
        assert next(m.value for m in at.metric if m.label == "Chasseurs") == hunters
        assert len(at.dataframe[0].value) == (10 if slug == SECOND else 15)  # « Par stand »


def test_the_join_page_points_phones_to_its_edition(second: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESS_BASE_URL", "https://ess.example/")
    get_settings.cache_clear()
    counted: list[int | None] = []

    def count(*, session: Session, edition_id: int | None = None) -> int:
        counted.append(edition_id)  # the running count is the edition's (services.contributions counts it)
        return 7

    monkeypatch.setattr(contributions, "count_contributions", count)
    shown = {}
    for slug in (SECOND, FIRST):
        at = open_page("app_pages/join.py", {"edition": slug})
        shown[slug] = " ".join(str(m.value) for m in at.markdown).replace("\\", "")
        assert [(m.label, m.value) for m in at.metric] == [("Contributions déjà reçues", "7")]
    assert counted[0] == second and counted[-1] == FIRST_EDITION_ID
    # The default edition's address is the short one people type; another edition's names it.
    assert f"ess.example/contribuer?edition={SECOND}" in shown[SECOND]
    assert "ess.example/contribuer" in shown[FIRST] and "edition=" not in shown[FIRST]
