"""The circuit of one edition never sees another's: the 2022 pack's stands reuse the 2016 codes (S01…), its themes
and projects are others, its passports are its own."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from db.engine import session_scope
from models import Contribution, Edition, EditionStatus, Participant, Stand, StandVisit, Theme
from services import circuit, participants, qrcodes, scope, throttle
from services.codes import device_token
from services.errors import NotFoundError, ValidationError
from tests.editions import FIRST_EDITION_ID, load_second_edition

FIRST_SLUG = "pays-de-la-loire-2016"
SECOND_SLUG = "centre-val-de-loire-2022"
ONE_PER_THEME_2022 = ("S01", "S04", "S07", "S09")  # financer, emploi, transition, territoires


@pytest.fixture
def two_editions(store_engine: Engine) -> Iterator[tuple[Engine, int]]:
    with session_scope(store_engine, write=True) as session:
        second = load_second_edition(session)
    yield store_engine, second


def visit(engine: Engine, token: str, code: str, edition_id: int) -> circuit.VisitResult:
    with session_scope(engine, write=True) as session:
        return circuit.visit_stand(session=session, device_token=token, stand_code=code, edition_id=edition_id)


def passport(engine: Engine, token: str, edition_id: int) -> circuit.Passport:
    with session_scope(engine, write=True) as session:
        return circuit.passport(session=session, device_token=token, edition_id=edition_id)


def traffic(engine: Engine, edition_id: int) -> dict[str, circuit.StandTraffic]:
    with session_scope(engine) as session:
        return {s.code: s for s in circuit.circuit_traffic(session=session, edition_id=edition_id).stands}


def contribute_directly(session: Session, participant_id: int, stand_code: str, edition_id: int) -> None:
    """A contribution of the participant sent from the edition's stand (the form's own path is tested elsewhere)."""
    stand = session.exec(select(Stand).where(Stand.edition_id == edition_id, Stand.code == stand_code)).one()
    session.add(
        Contribution(
            receipt_code=uuid.uuid4().hex[:12],
            idempotency_key=uuid.uuid4().hex,
            theme_id=stand.theme_id,
            body="Un fonds régional de garantie pour les coopératives naissantes.",
            participant_id=participant_id,
            stand_id=stand.id,
            source="treasure_hunt",
        )
    )
    session.flush()


def set_status(engine: Engine, edition_id: int, status: EditionStatus) -> None:
    with session_scope(engine, write=True) as session:
        row = session.get(Edition, edition_id)
        assert row is not None
        row.status = status.value
        session.add(row)


def test_each_edition_opens_its_own_stand_s01(two_editions: tuple[Engine, int]) -> None:
    engine, second = two_editions
    with session_scope(engine) as session:
        first_s01 = circuit.get_stand_page(session=session, code="S01", edition_id=FIRST_EDITION_ID)
        second_s01 = circuit.get_stand_page(session=session, code="s01", edition_id=second)
        default_s01 = circuit.get_stand_page(session=session, code="S01")
        assert first_s01 is not None and second_s01 is not None
        assert first_s01.id != second_s01.id and first_s01.name != second_s01.name
        assert default_s01 == first_s01  # no edition named: the default one
        assert second_s01.theme_code == "financer"
        assert circuit.get_stand_page(session=session, code="S11", edition_id=second) is None  # 2016 only
        assert len(circuit.list_circuit(session=session, edition_id=FIRST_EDITION_ID)) == 15
        assert {s.code for s in circuit.list_circuit(session=session, edition_id=second)} == {
            f"S{n:02d}" for n in range(1, 11)
        }


def test_a_visit_to_the_2022_s01_never_counts_for_2016(two_editions: tuple[Engine, int]) -> None:
    engine, second = two_editions
    phone = device_token()
    assert visit(engine, phone, "S01", second).new
    # The same token in 2016: no passport there, and 2016's traffic did not move.
    empty = passport(engine, phone, FIRST_EDITION_ID)
    assert empty.public_code is None and empty.visited == [] and empty.themes_total == 5
    with session_scope(engine) as session:
        assert not circuit.has_visited(session=session, device_token=phone, stand_code="S01", edition_id=1)
        assert circuit.has_visited(session=session, device_token=phone, stand_code="S01", edition_id=second)
        assert circuit.circuit_traffic(session=session, edition_id=FIRST_EDITION_ID).hunters == 0
        live = circuit.circuit_traffic(session=session, edition_id=second)
        assert live.hunters == 1 and sum(live.visits_by_theme.values()) == 1 and len(live.visits_by_quarter) == 1
        assert set(live.visits_by_theme) <= set(scope.theme_ids(session=session, edition_id=second))
        person = session.exec(select(Participant).where(Participant.device_token == phone)).one()
        assert person.edition_id == second
    assert traffic(engine, FIRST_EDITION_ID)["S01"].visits == 0
    assert traffic(engine, second)["S01"].visits == 1
    assert len(traffic(engine, second)) == 10
    mine = passport(engine, phone, second)
    assert [s.code for s in mine.visited] == ["S01"] and mine.themes_total == 4


def test_a_token_of_one_edition_is_unknown_in_another(two_editions: tuple[Engine, int]) -> None:
    engine, second = two_editions
    phone = device_token()
    code = visit(engine, phone, "S04", FIRST_EDITION_ID).public_code
    # Sent to 2022, the 2016 token is refused: it neither shows nor changes the 2016 passport.
    with pytest.raises(ValidationError) as refused:
        visit(engine, phone, "S04", second)
    assert refused.value.errors["device_token"] == participants.UNKNOWN_DEVICE
    assert passport(engine, phone, second).public_code is None
    assert [s.code for s in passport(engine, phone, FIRST_EDITION_ID).visited] == ["S04"]
    with session_scope(engine, write=True) as session:
        assert participants.participant_id_for_token(session=session, device_token=phone, edition_id=second) is None
        assert participants.find_participant(session=session, device_token=phone, edition_id=second) is None
        assert participants.find_participant_by_code(session=session, public_code=code, edition_id=second) is None
        assert participants.find_participant_by_code(session=session, public_code=code) is not None
        with pytest.raises(ValidationError):
            participants.get_or_create_participant(session=session, device_token=phone, edition_id=second)
        # A participant id of 2016 cannot be given a 2022 stand either.
        person = participants.find_participant(session=session, device_token=phone, edition_id=FIRST_EDITION_ID)
        assert person is not None
        with pytest.raises(NotFoundError):
            circuit.record_stand_visit(session=session, participant_id=person.id, stand_code="S02", edition_id=second)
        # Restoring by code works only within the passport's edition.
        key, origin = uuid.uuid4().hex, throttle.Origin("an-address")  # the browser asking
        restore = circuit.restore_passport
        assert restore(session=session, public_code=code, edition_id=second, session_key=key, origin=origin) is None
        assert restore(session=session, public_code=code, edition_id=1, session_key=key, origin=origin) == phone
    with session_scope(engine) as session:
        assert session.exec(select(StandVisit)).all().__len__() == 1


def test_the_treasure_asks_for_each_of_the_editions_own_themes(two_editions: tuple[Engine, int]) -> None:
    engine, second = two_editions
    phone = device_token()
    for code in ONE_PER_THEME_2022[:3]:
        assert not visit(engine, phone, code, second).treasure_just_found
    with session_scope(engine, write=True) as session:
        person = participants.find_participant(session=session, device_token=phone, edition_id=second)
        assert person is not None
        contribute_directly(session, person.id, "S01", second)
        assert not circuit.award_treasure_if_complete(session=session, participant_id=person.id)
    midway = passport(engine, phone, second)
    assert (len(midway.themes_covered), midway.themes_total, midway.contributions) == (3, 4, 1)
    assert visit(engine, phone, ONE_PER_THEME_2022[3], second).treasure_just_found  # four themes, not five
    done = passport(engine, phone, second)
    assert done.complete and done.treasure_code
    with session_scope(engine) as session:
        assert circuit.check_treasure_code(session=session, code=done.treasure_code, edition_id=second) is not None
        assert circuit.check_treasure_code(session=session, code=done.treasure_code, edition_id=1) is None
        assert circuit.circuit_traffic(session=session, edition_id=second).treasures_found == 1
        assert circuit.circuit_traffic(session=session, edition_id=FIRST_EDITION_ID).treasures_found == 0
    assert traffic(engine, second)["S01"].contributions == 1
    assert traffic(engine, FIRST_EDITION_ID)["S01"].contributions == 0


def test_a_theme_without_an_open_stand_is_not_asked_for(two_editions: tuple[Engine, int]) -> None:
    engine, second = two_editions
    with session_scope(engine, write=True) as session:
        for stand in session.exec(
            select(Stand).where(Stand.edition_id == second, col(Stand.code).in_(["S09", "S10"]))
        ).all():
            stand.active = False  # « territoires » has no open stand left
            session.add(stand)
    phone = device_token()
    assert passport(engine, phone, second).themes_total == 3
    for code in ONE_PER_THEME_2022[:3]:
        visit(engine, phone, code, second)
    with session_scope(engine, write=True) as session:
        person = participants.find_participant(session=session, device_token=phone, edition_id=second)
        assert person is not None
        contribute_directly(session, person.id, "S04", second)
        assert circuit.award_treasure_if_complete(session=session, participant_id=person.id)
        # An edition whose circuit is empty hides no treasure at all.
        for stand in session.exec(select(Stand).where(Stand.edition_id == second)).all():
            stand.active = False
            session.add(stand)
        session.flush()
        assert circuit.required_theme_ids(session=session, edition_id=second) == []


def test_an_archived_or_draft_edition_takes_no_visit(two_editions: tuple[Engine, int]) -> None:
    engine, second = two_editions
    phone = device_token()
    visit(engine, phone, "S01", second)
    set_status(engine, second, EditionStatus.ARCHIVED)
    with pytest.raises(ValidationError) as archived:
        visit(engine, phone, "S02", second)
    assert archived.value.errors["edition"] == scope.ARCHIVED
    with pytest.raises(ValidationError):
        visit(engine, device_token(), "S02", second)  # nor a new passport
    assert [s.code for s in passport(engine, phone, second).visited] == ["S01"]  # still readable
    set_status(engine, second, EditionStatus.DRAFT)
    with pytest.raises(ValidationError) as draft:
        visit(engine, phone, "S02", second)
    assert draft.value.errors["edition"] == scope.NOT_OPEN
    assert visit(engine, device_token(), "S02", FIRST_EDITION_ID).new  # the other edition is untouched
    with session_scope(engine) as session:
        assert len(session.exec(select(StandVisit)).all()) == 2


def test_stand_codes_are_unique_within_an_edition_only(two_editions: tuple[Engine, int]) -> None:
    engine, second = two_editions
    with session_scope(engine, write=True) as session:
        # S11 exists in 2016 only: free in 2022; its theme code is 2022's.
        new_id = circuit.save_stand(
            session=session,
            values=circuit.StandValues(code="S11", name="Une monnaie locale", theme="financer"),
            actor="admin",
            edition_id=second,
        )
        created = session.get(Stand, new_id)
        assert created is not None and created.edition_id == second and created.position == 11
        with pytest.raises(ValidationError) as taken:
            circuit.save_stand(
                session=session,
                values=circuit.StandValues(code="S01", name="Doublon", theme="financer"),
                actor="admin",
                edition_id=second,
            )
        assert "déjà ce code" in taken.value.errors["code"]
        # A 2016 theme or project code is unknown in 2022; the messages count nothing and name the projects.
        with pytest.raises(ValidationError) as unknown:
            circuit.save_stand(
                session=session,
                values=circuit.StandValues(code="S12", name="Un stand", theme="institutions", ptce="machecoul"),
                actor="admin",
                edition_id=second,
            )
        assert unknown.value.errors["theme"] == "Thème inconnu : indiquez le code d'un des thèmes de cette édition."
        assert unknown.value.errors["ptce"].startswith("Projets présentés : code inconnu dans cette édition.")
        assert "cinq" not in unknown.value.message and "huit" not in unknown.value.message
        # The id of a 2016 stand is not a 2022 stand: neither edited nor moved from 2022.
        first_s01 = session.exec(select(Stand).where(Stand.edition_id == 1, Stand.code == "S01")).one()
        assert first_s01.id is not None
        with pytest.raises(NotFoundError):
            circuit.save_stand(
                session=session,
                values=circuit.StandValues(code="S01", name="Détourné", theme="financer"),
                actor="admin",
                stand_id=first_s01.id,
                edition_id=second,
            )
        with pytest.raises(NotFoundError):
            circuit.move_stand(session=session, stand_id=first_s01.id, offset=1, actor="admin", edition_id=second)
        # « emploi » is a theme code of both: resolved to 2022's.
        emploi_2022 = session.exec(select(Theme.id).where(Theme.edition_id == second, Theme.code == "emploi")).one()
        moved = circuit.save_stand(
            session=session,
            values=circuit.StandValues(code="S12", name="Un garage solidaire", theme="emploi", ptce="scop-blois"),
            actor="admin",
            edition_id=second,
        )
        assert session.get(Stand, moved).theme_id == emploi_2022  # type: ignore[union-attr]
        circuit.move_stand(session=session, stand_id=moved, offset=-20, actor="admin", edition_id=second)
    with session_scope(engine) as session:
        assert [s.code for s in circuit.list_circuit(session=session, edition_id=second)][:2] == ["S12", "S01"]
        first = circuit.list_circuit(session=session, edition_id=FIRST_EDITION_ID)
        assert [s.position for s in first] == list(range(1, 16)) and first[0].name == first_s01.name
        assert {p["code"] for p in circuit.list_ptce_codes(session=session, edition_id=second)} >= {"scop-blois"}
        assert "machecoul" not in {p["code"] for p in circuit.list_ptce_codes(session=session, edition_id=second)}


def test_an_archived_editions_stands_are_not_edited(two_editions: tuple[Engine, int]) -> None:
    engine, second = two_editions
    set_status(engine, second, EditionStatus.ARCHIVED)
    with session_scope(engine, write=True) as session:
        with pytest.raises(ValidationError) as refused:
            circuit.save_stand(
                session=session,
                values=circuit.StandValues(code="S30", name="Nouveau", theme="financer"),
                actor="admin",
                edition_id=second,
            )
        assert refused.value.errors == {"edition": scope.ARCHIVED}
        with pytest.raises(ValidationError):
            circuit.import_stands_csv(
                session=session, content=b"code,name,theme\nS30,A,financer\n", actor="a", edition_id=second
            )
        stand_id = session.exec(select(Stand.id).where(Stand.edition_id == second, Stand.code == "S02")).one()
        assert stand_id is not None
        with pytest.raises(ValidationError):
            circuit.move_stand(session=session, stand_id=stand_id, offset=1, actor="admin", edition_id=second)


def test_a_csv_import_resolves_codes_within_its_edition_and_round_trips(two_editions: tuple[Engine, int]) -> None:
    engine, second = two_editions
    content = (
        "code;name;theme;ptce\n"
        "S01;Un fonds de garantie, nouvelle formule;financer;\n"  # 2022's S01, updated
        "S11;Un atelier vélo;emploi;recyclerie-bourges\n"  # created in 2022
        "S12;Un stand;institutions;\n"  # a 2016 theme
        "S13;Un stand;emploi;machecoul\n"  # a 2016 project
    ).encode()
    with session_scope(engine, write=True) as session:
        report = circuit.import_stands_csv(session=session, content=content, actor="admin", edition_id=second)
    assert (report.created, report.updated, [r.line for r in report.rejected]) == (1, 1, [4, 5])
    assert "Thème inconnu" in report.rejected[0].reasons and "Projets présentés" in report.rejected[1].reasons
    with session_scope(engine) as session:
        first_s01 = circuit.get_stand_page(session=session, code="S01", edition_id=FIRST_EDITION_ID)
        second_s01 = circuit.get_stand_page(session=session, code="S01", edition_id=second)
        s11 = circuit.get_stand_page(session=session, code="S11", edition_id=second)
        assert first_s01 is not None and first_s01.name != "Un fonds de garantie, nouvelle formule"
        assert second_s01 is not None and second_s01.name == "Un fonds de garantie, nouvelle formule"
        assert s11 is not None and s11.theme_code == "emploi" and s11.ptce_code == "recyclerie-bourges"
        assert s11.theme_id in scope.theme_ids(session=session, edition_id=second)
        first_s11 = circuit.get_stand_page(session=session, code="S11", edition_id=FIRST_EDITION_ID)
        assert first_s11 is not None and first_s11.name != "Un atelier vélo"
        exported = circuit.export_stands_csv(session=session, edition_id=second)
    text = exported.decode("utf-8-sig")
    assert text.splitlines()[0] == ";".join(circuit.CSV_COLUMNS)
    assert len(text.splitlines()) == 12 and "financer" in text and "institutions" not in text
    # The export is the import's own format: reading it back changes nothing but counts every stand as updated.
    with session_scope(engine, write=True) as session:
        again = circuit.import_stands_csv(session=session, content=exported, actor="admin", edition_id=second)
    assert (again.created, again.updated, again.rejected) == (0, 11, [])


def test_the_qr_codes_name_their_edition(two_editions: tuple[Engine, int]) -> None:
    engine, second = two_editions
    with session_scope(engine) as session:
        posters = circuit.poster_stands(session=session, edition_id=second)
        first = circuit.poster_stands(session=session, edition_id=FIRST_EDITION_ID)
    assert len(posters) == 10 and {p.edition for p in posters} == {SECOND_SLUG}
    assert {p.edition for p in first} == {FIRST_SLUG}
    url = qrcodes.stand_url("https://ess.example/", posters[0].code, posters[0].edition)
    assert url == f"https://ess.example/stand?code=S01&edition={SECOND_SLUG}"
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(qrcodes.stand_poster_png(posters[0], "https://ess.example"))))
    assert [f.text for f in found] == [url]
    # An edition with its own public address prints it; without one, the server's.
    assert qrcodes.edition_base_url("https://ess-centre.example", "https://ess.example") == "https://ess-centre.example"
    assert qrcodes.edition_base_url("  ", "https://ess.example") == "https://ess.example"
