"""The treasure hunt on the server: one visit per stand and phone, the completion rule, restoring a passport."""

from __future__ import annotations

import io
import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import select

from db.engine import session_scope
from models import AuditEvent, Stand, StandVisit
from services import circuit, contributions, qrcodes, throttle
from services.codes import device_token
from services.contributions import ContributionDraft
from services.errors import NotFoundError, ValidationError
from services.formatting import format_number

BODY = "Un guichet unique pour les structures de l'ESS qui cherchent un financement."
ONE_PER_THEME = ("S01", "S04", "S07", "S10", "S13")


def visit(engine: Engine, token: str, code: str) -> circuit.VisitResult:
    with session_scope(engine, write=True) as session:
        return circuit.visit_stand(session=session, device_token=token, stand_code=code)


def passport(engine: Engine, token: str) -> circuit.Passport:
    with session_scope(engine, write=True) as session:
        return circuit.passport(session=session, device_token=token)


def contribute(engine: Engine, token: str, stand_code: str = "S01") -> None:
    with session_scope(engine, write=True) as session:
        stand = contributions.find_open_stand(session=session, code=stand_code)
        assert stand is not None
        draft = ContributionDraft(
            theme_id=stand.theme_id,
            body=BODY,
            idempotency_key=uuid.uuid4().hex,
            source="treasure_hunt",
            stand_id=stand.id,
        )
        contributions.submit_from_device(session=session, device_token=token, draft=draft)


def visits(engine: Engine) -> int:
    with session_scope(engine) as session:
        return int(session.exec(select(func.count()).select_from(StandVisit)).one())


def test_a_second_scan_of_the_same_stand_records_nothing_new(store_engine: Engine) -> None:
    token = device_token()
    first = visit(store_engine, token, "S01")
    again = visit(store_engine, token, " s01 ")
    assert first.new and not again.new
    assert first.public_code == again.public_code
    assert visits(store_engine) == 1
    with session_scope(store_engine) as session:
        assert circuit.has_visited(session=session, device_token=token, stand_code="S01")
        assert not circuit.has_visited(session=session, device_token=token, stand_code="S02")
        assert not circuit.has_visited(session=session, device_token=device_token(), stand_code="S01")


def test_concurrent_scans_record_each_visit_exactly_once(store_engine: Engine) -> None:
    """Ten phones × the same four stands, every scan sent twice at once (a double tap): 40 visits, no error."""
    tokens = [device_token() for _ in range(10)]
    for token in tokens:  # the passports exist first, as after the hunter's first page
        visit(store_engine, token, "S15")
    jobs = [(token, code) for token in tokens for code in ("S01", "S04", "S07", "S10")] * 2
    errors: list[BaseException] = []

    def scan(job: tuple[str, str]) -> bool:
        try:
            return visit(store_engine, *job).new
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
            raise

    with ThreadPoolExecutor(max_workers=8) as pool:
        new = list(pool.map(scan, jobs))
    assert errors == []
    assert sum(new) == 40  # each (phone, stand) is new exactly once, the twin scan says "already visited"
    assert visits(store_engine) == 50


def test_unknown_or_closed_stands_are_refused_and_not_found(store_engine: Engine) -> None:
    with session_scope(store_engine, write=True) as session:
        stand = session.exec(select(Stand).where(Stand.code == "S02")).one()
        stand.active = False
        session.add(stand)
    with session_scope(store_engine) as session:
        for code in ("S99", "S02", "", "<script>", "S01" * 10):
            assert circuit.get_stand_page(session=session, code=code) is None
        page = circuit.get_stand_page(session=session, code="s01")
        assert page is not None and page.code == "S01" and page.theme_short_label
    with pytest.raises(NotFoundError):
        visit(store_engine, device_token(), "S02")
    assert visits(store_engine) == 0


def test_the_treasure_needs_every_theme_and_a_contribution(store_engine: Engine) -> None:
    token = device_token()
    empty = passport(store_engine, token)
    assert empty.public_code is None and empty.themes_total == 5 and not empty.complete
    for code in ONE_PER_THEME[:4]:
        assert not visit(store_engine, token, code).treasure_just_found
    contribute(store_engine, token)
    midway = passport(store_engine, token)
    assert len(midway.themes_covered) == 4 and len(midway.missing_theme_ids) == 1
    assert midway.contributions == 1 and not midway.complete
    assert [s.code for s in midway.visited] == list(ONE_PER_THEME[:4])
    assert "S13" in [s.code for s in midway.remaining]

    last = visit(store_engine, token, ONE_PER_THEME[4])
    assert last.treasure_just_found
    done = passport(store_engine, token)
    assert done.complete and done.treasure_code and done.treasure_found_at is not None
    assert not visit(store_engine, token, "S14").treasure_just_found  # found once only
    assert passport(store_engine, token).treasure_code == done.treasure_code
    with session_scope(store_engine) as session:
        check = circuit.check_treasure_code(session=session, code=done.treasure_code.lower().replace("-", " "))
        assert check is not None and check.public_code == done.public_code
        assert circuit.check_treasure_code(session=session, code="T-AAAAAA") is None


def test_every_theme_without_a_contribution_is_not_yet_the_treasure(store_engine: Engine) -> None:
    token = device_token()
    for code in ONE_PER_THEME:
        visit(store_engine, token, code)
    assert not passport(store_engine, token).complete
    contribute(store_engine, token, "S07")  # the contribution completes it: awarded when it is stored
    with session_scope(store_engine) as session:
        assert circuit.check_treasure_code(session=session, code="nothing") is None
    assert passport(store_engine, token).complete


def test_a_lost_passport_is_restored_from_its_short_code(store_engine: Engine) -> None:
    old_phone = device_token()
    code = visit(store_engine, old_phone, "S03").public_code
    session_key, origin = uuid.uuid4().hex, throttle.Origin("a-hashed-address")  # the browser asking
    with session_scope(store_engine, write=True) as session:
        assert (
            circuit.restore_passport(session=session, public_code="ZZZZ-ZZZZ", session_key=session_key, origin=origin)
            is None
        )
        restored = circuit.restore_passport(
            session=session, public_code=code.lower().replace("-", ""), session_key=session_key, origin=origin
        )
    assert restored == old_phone
    assert [s.code for s in passport(store_engine, restored).visited] == ["S03"]


CSV = (
    "code;name;theme;experience;position;ptce\n"
    "S01;Le portail ESSOR, nouvelle version;institutions;Un site unique;1;\n"  # update
    "S20;Un tiers-lieu rural;cooperation;Un lieu partagé;20;machecoul\n"  # create
    "S21;;emploi;;;\n"  # no name
    "S22;Un stand;inconnu;;;\n"  # unknown theme
    "S 23!;Un stand;emploi;;;\n"  # bad code
    "S24;Un stand;emploi;;douze;\n"  # bad position
    "S25;Un stand;emploi;;;nulle-part\n"  # unknown PTCE
    "S20;Encore lui;emploi;;;\n"  # twice in the file
)


def test_a_csv_import_saves_good_rows_and_reports_each_bad_one(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine, write=True) as session:
        report = circuit.import_stands_csv(session=session, content=CSV.encode("utf-8-sig"), actor="admin")
    assert (report.created, report.updated) == (1, 1)
    assert [r.line for r in report.rejected] == [4, 5, 6, 7, 8, 9]
    assert "nom du stand est obligatoire" in report.rejected[0].reasons
    assert "Thème inconnu" in report.rejected[1].reasons
    assert "Code de stand invalide" in report.rejected[2].reasons
    assert "position" in report.rejected[3].reasons
    assert "PTCE : code inconnu dans cette édition" in report.rejected[4].reasons
    assert "deux fois" in report.rejected[5].reasons
    with session_scope(sqlite_engine) as session:
        page = circuit.get_stand_page(session=session, code="S20")
        assert page is not None and page.ptce_code == "machecoul" and page.position == 20
        assert circuit.get_stand_page(session=session, code="S01").name == "Le portail ESSOR, nouvelle version"  # type: ignore[union-attr]
        actions = [e.action for e in session.exec(select(AuditEvent)).all()]
    assert actions.count("stand.create") == 1 and actions.count("stand.update") == 1 and "stand.import" in actions


def test_a_csv_without_the_required_columns_is_refused_whole(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine, write=True) as session, pytest.raises(ValidationError):
        circuit.import_stands_csv(session=session, content=b"nom,theme\nA,emploi\n", actor="admin")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        # 1 001 well-formed stands: each would be checked and saved under the write lock, one by one.
        (
            "code;name;theme\n" + "".join(f"S{n};Stand {n};emploi\n" for n in range(1, circuit.MAX_STAND_ROWS + 2)),
            f"Plus de {format_number(1000)} lignes : une liste de stands en compte quelques dizaines. "
            "Rien n'a été importé.",
        ),
        # A megabyte of empty fields: half a million rows once read.
        ("code,name,theme\n" + ",,\n" * 300_000, f"Plus de {format_number(1000)} lignes"),
        ("code;name;theme;" + ";".join(f"c{n}" for n in range(60)) + "\nS1;A;emploi\n", "Plus de 50 colonnes"),
    ],
)
def test_a_stand_csv_over_the_size_of_a_circuit_is_refused_whole(
    store_engine: Engine, content: str, message: str
) -> None:
    with session_scope(store_engine) as session:
        before = len(session.exec(select(Stand)).all())
    with session_scope(store_engine, write=True) as session, pytest.raises(ValidationError) as refused:
        circuit.import_stands_csv(session=session, content=content.encode(), actor="admin")
    assert message in refused.value.errors["file"]
    with session_scope(store_engine) as session:
        assert len(session.exec(select(Stand)).all()) == before


def test_admins_create_edit_and_reorder_stands(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine, write=True) as session:
        new_id = circuit.save_stand(
            session=session, values=circuit.StandValues(code="s30", name="Nouveau", theme="emploi"), actor="admin"
        )
        with pytest.raises(ValidationError) as taken:
            circuit.save_stand(
                session=session, values=circuit.StandValues(code="S01", name="Doublon", theme="emploi"), actor="admin"
            )
        assert "déjà ce code" in taken.value.errors["code"]
        circuit.move_stand(session=session, stand_id=new_id, offset=-1, actor="admin")
    with session_scope(sqlite_engine) as session:
        order = [s.code for s in circuit.list_circuit(session=session)]
    assert order[-2:] == ["S30", "S15"] and len(order) == 16


def test_circuit_traffic_counts_visits_conversion_unreached_and_treasures(store_engine: Engine) -> None:
    hunters = [device_token() for _ in range(3)]
    for token in hunters:
        visit(store_engine, token, "S01")
    visit(store_engine, hunters[0], "S04")
    contribute(store_engine, hunters[0], "S01")
    for code in ONE_PER_THEME:
        visit(store_engine, hunters[1], code)
    contribute(store_engine, hunters[1], "S13")  # S01 was already in its passport: 3 + 1 + 4 visits
    with session_scope(store_engine) as session:
        traffic = circuit.circuit_traffic(session=session)
    by_code = {s.code: s for s in traffic.stands}
    assert by_code["S01"].visits == 3 and by_code["S01"].contributions == 1 and by_code["S01"].converted == 1
    assert by_code["S01"].conversion == pytest.approx(1 / 3)
    assert by_code["S02"].visits == 0 and by_code["S02"].conversion is None
    assert "S02" in [s.code for s in traffic.unreached] and "S04" not in [s.code for s in traffic.unreached]
    assert traffic.hunters == 3 and traffic.treasures_found == 1
    assert sum(traffic.visits_by_theme.values()) == sum(n for _, n in traffic.visits_by_quarter) == 8


def test_the_poster_sheet_has_one_page_per_stand_and_each_qr_decodes_to_its_stand_url(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine) as session:
        stands = circuit.poster_stands(session=session)
    pdf = qrcodes.stand_posters_pdf(stands, "https://ess.example/")
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", pdf)) == len(stands) == 15
    # Each page is one JPEG image in the PDF (Pillow's writer): decode the QR code printed on it.
    pages = re.findall(rb"\xff\xd8\xff.*?\xff\xd9", pdf, flags=re.DOTALL)
    assert len(pages) == 15
    decoded = [decode_qr(page) for page in pages]
    # The edition travels with the code: each edition has its own S01.
    assert decoded == [f"https://ess.example/stand?code={s.code}&edition=pays-de-la-loire-2016" for s in stands]
    png = qrcodes.stand_poster_png(stands[0], "https://ess.example/")
    assert decode_qr(png) == "https://ess.example/stand?code=S01&edition=pays-de-la-loire-2016"


def decode_qr(image: bytes) -> str:
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(image)))
    assert len(found) == 1
    return str(found[0].text)
