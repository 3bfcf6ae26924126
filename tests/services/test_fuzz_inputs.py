"""Hypothesis throws any text at every service a user can type or upload into.

Each input is either stored exactly (read back identical, after the documented trimming and
newline normalisation) or refused with a French message carried by a known error type; never a
crash, never a half-write (a refusal leaves every table as it was).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, col

from db.engine import session_scope
from models import Contribution, Orientation, OrientationComment, Ptce, StaffUser, Stand, Tag
from services import auth, circuit, contributions, drafting, moderation, privacy, ptce, throttle
from services import questionnaire_import as qi
from services import questionnaires as qs
from services.contributions import ContributionDraft
from services.errors import ServiceError
from services.permissions import CONSOLE_ACTOR
from services.text import normalise_newlines

FUZZ = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,  # the same examples on every run: a red build is reproducible, never flaky
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

MEGABYTE = "é" * 1_000_000
NASTY = [
    "\x00",
    "avant\x00après, une idée tout à fait recevable",
    "\ud800",
    "une idée avec un demi-caractère \udfff au milieu du texte",
    "\u200b" * 40,
    "\u200b\u200c\u200d\ufeff une idée entourée de caractères invisibles \u2060",
    "\u202e une idée écrite à l'envers \u202c pour tromper l'œil",
    "\x1b[31m rouge dans un terminal \x1b[0m et une idée",
    '=HYPERLINK("http://example.invalid") une formule de tableur',
    "<script>alert(1)</script> et une idée en HTML",
    "[x](javascript:alert(1)) :red[rouge] **gras**",
    "Ligne 1\r\nLigne 2\rLigne 3\nune idée sur trois lignes",
    "🧑🏽‍🤝‍🧑🏻 coopérer entre structures de l'ESS 🇫🇷",
    "\t\n  \r\n ",
    MEGABYTE,
    "a" * 2001,
]
# Every Unicode code point, lone surrogates and control characters included.
ANY_CHAR = st.characters(exclude_categories=())
any_text = st.one_of(
    st.text(ANY_CHAR, max_size=300),
    st.sampled_from(NASTY),
    st.tuples(st.sampled_from(NASTY[:-2]), st.text(ANY_CHAR, max_size=40)).map("".join),
)
# A text long enough to pass the minimum lengths, with something hostile inside.
long_text = st.tuples(st.text(ANY_CHAR, min_size=0, max_size=60), st.sampled_from(NASTY)).map(
    lambda parts: "Une idée pour l'ESS en Pays de la Loire " + parts[0] + parts[1]
)


def cleaned(value: str) -> str:
    """What a stored text must read back as: newlines unified, outer blanks trimmed."""
    return normalise_newlines(value).strip()


def snapshot(engine: Engine) -> dict[str, int]:
    """The row count of every table: a refusal must leave each one unchanged."""
    with session_scope(engine) as session:
        return {
            name: int(session.execute(select(func.count()).select_from(table)).scalar_one())
            for name, table in SQLModel.metadata.tables.items()
        }


def is_french_refusal(exc: ServiceError) -> bool:
    message = exc.message
    return bool(message) and message.strip() == message and not message.startswith(("Traceback", "Error"))


def attempt(engine: Engine, fn: Callable[..., Any], **kwargs: Any) -> tuple[Any, ServiceError | None]:
    """Run one service call in its own write transaction, as the pages do; a refusal must leave no trace."""
    before = snapshot(engine)
    try:
        with session_scope(engine, write=True) as session:
            return fn(session=session, **kwargs), None
    except ServiceError as exc:
        assert is_french_refusal(exc), exc.message
        assert snapshot(engine) == before, "a refused input left rows behind"
        return None, exc


def read(engine: Engine, fn: Callable[..., Any], **kwargs: Any) -> Any:
    with session_scope(engine) as session:
        return fn(session=session, **kwargs)


def contribution(engine: Engine, cid: int) -> Contribution:
    with session_scope(engine) as session:
        row = session.get(Contribution, cid)
        assert row is not None
        return row


def a_contribution(engine: Engine) -> int:
    result, error = attempt(
        engine,
        contributions.submit_contribution,
        draft=ContributionDraft(
            theme_id=1, body="Une idée de départ pour la modération.", idempotency_key=uuid.uuid4().hex
        ),
    )
    assert error is None
    return int(result.contribution_id)


# ---------------------------------------------------------------------------------------------
# Contributions: the participant's form, and staff typing paper ones in by the batch


@FUZZ
@given(body=st.one_of(any_text, long_text), title=any_text, name=any_text, organisation=any_text)
@example(body="\u200b" * 40, title="", name="", organisation="")
def test_a_contribution_is_stored_exactly_or_refused(
    sqlite_engine: Engine, body: str, title: str, name: str, organisation: str
) -> None:
    draft = ContributionDraft(
        theme_id=2,
        body=body,
        title=title,
        author_name=name,
        organisation=organisation,
        display_mode="anonymous",
        idempotency_key=uuid.uuid4().hex,
    )
    receipt, error = attempt(
        sqlite_engine, contributions.submit_from_device, device_token=uuid.uuid4().hex, draft=draft
    )
    if body == "\u200b" * 40:  # nothing anyone could read is no contribution
        assert error is not None and "obligatoire" in error.message
    if error is not None:
        return
    row = contribution(sqlite_engine, receipt.contribution_id)
    assert (row.body, row.title, row.author_name, row.organisation) == tuple(
        map(cleaned, (body, title, name, organisation))
    )


@FUZZ
@given(pasted=st.lists(st.one_of(any_text, long_text), min_size=1, max_size=4).map("\n\n".join))
def test_a_pasted_batch_stores_each_paragraph_exactly_or_reports_it(sqlite_engine: Engine, pasted: str) -> None:
    parts = contributions.split_pasted_text(pasted)
    drafts = [
        ContributionDraft(
            theme_id=3,
            body=part,
            source="paper",
            entered_by="lea",
            idempotency_key=contributions.batch_idempotency_key(uuid.uuid4().hex, part),
        )
        for part in parts
    ]
    items, error = attempt(sqlite_engine, contributions.submit_batch, drafts=drafts)
    assert error is None  # a batch never refuses as a whole: each item says its own fate
    for part, item in zip(parts, items, strict=True):
        if item.receipt is None:
            assert item.errors and all(m.strip() for m in item.errors.values())
        else:
            assert contribution(sqlite_engine, item.receipt.contribution_id).body == cleaned(part)


# ---------------------------------------------------------------------------------------------
# The questionnaire: open answers, who answers, resume codes, and the files staff import


@FUZZ
@given(answer=st.one_of(any_text, long_text), organisation=any_text, email=any_text, resume=any_text)
def test_questionnaire_answers_are_stored_exactly_or_refused(
    sqlite_engine: Engine, answer: str, organisation: str, email: str, resume: str
) -> None:
    questionnaire = read(sqlite_engine, qs.get_questionnaire)
    draft, error = attempt(
        sqlite_engine,
        qs.save_draft,
        questionnaire_id=questionnaire.id,
        answers={"q_institutions_proposition": answer},
        respondent=qs.Respondent(organisation=organisation, email=email),
    )
    if error is None:
        again = read(sqlite_engine, qs.load_draft, resume_code=draft.resume_code)
        assert (again.answers.get("q_institutions_proposition") or "") == cleaned(answer)
        assert again.respondent.organisation == cleaned(organisation)
        assert again.respondent.email == cleaned(email)
    # Any text typed as a resume code finds a draft or nothing, and sending it is refused cleanly.
    assert read(sqlite_engine, qs.load_draft, resume_code=resume) is None
    _, refused = attempt(sqlite_engine, qs.submit_response, resume_code=resume)
    assert refused is not None


def _csv_file(header: list[str], rows: list[list[str]], delimiter: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8", "surrogatepass")


@FUZZ
@given(
    raw=st.one_of(st.binary(max_size=400), st.text(ANY_CHAR, max_size=400).map(lambda t: t.encode("utf-8", "replace"))),
    cells=st.lists(any_text, min_size=1, max_size=3),
    filename=st.sampled_from(["export.csv", "export.xlsx", "export.xls", "réponses.txt", ""]),
)
def test_a_questionnaire_file_is_read_or_refused_and_imports_exactly(
    sqlite_engine: Engine, raw: bytes, cells: list[str], filename: str
) -> None:
    questionnaire = read(sqlite_engine, qs.get_questionnaire)
    # Arbitrary bytes: a table or a French refusal, never a crash.
    try:
        qi.read_table(filename=filename, data=raw)
    except qi.ImportFileError as exc:
        assert is_french_refusal(exc)
    # A well-formed export whose open answers hold anything: stored as typed, or the row refused.
    header = ["Identifiant", "Quelle proposition feriez-vous pour améliorer les relations ?"]
    data = _csv_file(header, [[uuid.uuid4().hex, cell] for cell in cells], ";")
    try:
        table = qi.read_table(filename="export.csv", data=data)
    except qi.ImportFileError as exc:
        assert is_french_refusal(exc)
        return
    mapping = {header[0]: qi.field_key("response_ref"), header[1]: qi.question_key("q_institutions_proposition")}
    question_id = next(q.id for q in questionnaire.questions if q.code == "q_institutions_proposition")
    _, before = read(sqlite_engine, qs.list_open_answers, question_id=question_id, limit=10_000)
    report, error = attempt(
        sqlite_engine, qi.import_answers, questionnaire=questionnaire, table=table, mapping=mapping, created_by="lea"
    )
    if error is not None:
        return
    assert report.adds_up
    assert all(problem.reason.strip() for problem in report.problems)
    _, after = read(sqlite_engine, qs.list_open_answers, question_id=question_id, limit=10_000)
    new_texts = [a.text for a in after]
    for old in before:
        new_texts.remove(old.text)
    assert set(new_texts) <= {cleaned(cell) for cell in cells}


# ---------------------------------------------------------------------------------------------
# The circuit: stands imported from a CSV, passports restored by their code


@FUZZ
@given(
    name=any_text,
    description=any_text,
    code=st.one_of(any_text, st.sampled_from(["S90", "s91 ", "S-92"])),
    raw=st.binary(max_size=300),
)
@example(name=" Stand \u200b<b>gras</b> 🇫🇷 ", description="Deux\nlignes", code="s90", raw=b"code,name\r\n\x00")
def test_a_stand_csv_stores_each_row_exactly_or_rejects_it(
    sqlite_engine: Engine, name: str, description: str, code: str, raw: bytes
) -> None:
    content = _csv_file(["code", "name", "theme", "description"], [[code, name, "1", description]], ",")
    report, error = attempt(sqlite_engine, circuit.import_stands_csv, content=content, actor="admin")
    if code == "s90":
        assert error is None and report.created == 1  # the explicit example must take the "stored" branch
    if error is None and report.created + report.updated:
        with session_scope(sqlite_engine) as session:
            stand = session.execute(select(Stand).where(col(Stand.code) == code.strip().upper())).scalar_one()
            assert (stand.name, stand.description) == (name.strip(), description.strip())
    if report is not None:
        assert all(r.reasons.strip() for r in report.rejected)
    # Any bytes at all: a report or a French refusal.
    attempt(sqlite_engine, circuit.import_stands_csv, content=raw, actor="admin")


@FUZZ
@given(code=any_text)
def test_codes_typed_by_people_find_something_or_nothing(sqlite_engine: Engine, code: str) -> None:
    # A new browser session from a new address each time, so the restore throttle does not hide the lookup.
    restored, error = attempt(
        sqlite_engine,
        circuit.restore_passport,
        public_code=code,
        session_key=uuid.uuid4().hex,
        origin=throttle.Origin(uuid.uuid4().hex),
    )
    assert error is None and restored is None
    assert read(sqlite_engine, circuit.check_treasure_code, code=code) is None
    _, error = attempt(sqlite_engine, privacy.find_personal_data, code=code, actor=CONSOLE_ACTOR)
    if error is None:
        data = read(sqlite_engine, privacy.find_personal_data, code=code, actor=CONSOLE_ACTOR)
        assert data.contributions == [] and data.responses == []


# ---------------------------------------------------------------------------------------------
# Staff: moderation, drafting, login


@FUZZ
@given(reason=any_text, tags=any_text, masked=st.one_of(any_text, long_text))
def test_moderation_edits_are_stored_exactly_or_refused(
    sqlite_engine: Engine, reason: str, tags: str, masked: str
) -> None:
    cid = a_contribution(sqlite_engine)
    if (
        attempt(sqlite_engine, moderation.reject, contribution_ids=[cid], actor="lea", category="other", reason=reason)[
            1
        ]
        is None
    ):
        assert contribution(sqlite_engine, cid).rejection_reason == cleaned(reason)
    labels = moderation.split_tags(tags)
    if attempt(sqlite_engine, moderation.add_tags, contribution_ids=[cid], labels=labels, actor="lea")[1] is None:
        with session_scope(sqlite_engine) as session:
            known = set(session.execute(select(col(Tag.label))).scalars())
        assert {" ".join(cleaned(label).split()).lower() for label in labels} <= known
    if (
        attempt(sqlite_engine, moderation.set_masked_text, contribution_id=cid, masked_text=masked, actor="lea")[1]
        is None
    ):
        row = contribution(sqlite_engine, cid)
        assert row.masked_body in (cleaned(masked), None)


@FUZZ
@given(title=st.one_of(any_text, long_text), body=any_text, comment=any_text, note=any_text)
def test_drafting_texts_and_comments_are_stored_exactly_or_refused(
    sqlite_engine: Engine, title: str, body: str, comment: str, note: str
) -> None:
    created, error = attempt(sqlite_engine, drafting.add_orientation, theme_id=1, title=title, body=body, actor="lea")
    if error is None:
        with session_scope(sqlite_engine) as session:
            row = session.get(Orientation, created.id)
            assert row is not None and (row.title, row.body) == (cleaned(title), cleaned(body))
    target = read(sqlite_engine, drafting.list_draft_orientations, theme_id=2)[0]
    edited, error = attempt(
        sqlite_engine,
        drafting.edit_orientation,
        orientation_id=target.id,
        title=title,
        body=body,
        status="amended",
        actor="lea",
        note=note,
    )
    if error is None:
        assert (edited.title, edited.body) == (cleaned(title), cleaned(body))
    made, error = attempt(sqlite_engine, drafting.add_comment, orientation_id=target.id, body=comment, actor="lea")
    if error is None:
        with session_scope(sqlite_engine) as session:
            stored = session.get(OrientationComment, made.id)
            assert stored is not None and stored.body == cleaned(comment)


@pytest.fixture
def lea(sqlite_engine: Engine) -> str:
    with session_scope(sqlite_engine, write=True) as session:
        auth.create_user(
            session=session, username="lea", password="un-mot-de-passe-solide", role="staff", actor=CONSOLE_ACTOR
        )
    return "lea"


@settings(FUZZ, max_examples=15)  # each login costs a bcrypt check (about 0.25 s)
@given(username=any_text, password=any_text, name=any_text)
def test_login_and_account_names_never_crash(
    sqlite_engine: Engine, lea: str, username: str, password: str, name: str
) -> None:
    # A fresh browser session each time, so the throttle does not hide the check itself.
    # attempt_login opens its own short transactions around the password check: it takes the engine.
    result = auth.attempt_login(
        engine=sqlite_engine,
        username=username,
        password=password,
        session_key=uuid.uuid4().hex,
        max_attempts=10_000,
    )
    assert not result.ok and result.message
    before = snapshot(sqlite_engine)
    created, error = attempt(
        sqlite_engine,
        auth.create_user,
        username=username,
        password="un-autre-mot-de-passe-solide",
        role="organizer",
        name=name,
        actor=CONSOLE_ACTOR,
    )
    if error is None:
        with session_scope(sqlite_engine) as session:
            user = session.get(StaffUser, created.id)
            assert user is not None and user.username == auth.normalise_username(username)
            assert user.name == (cleaned(name) or user.username)
    else:
        assert snapshot(sqlite_engine) == before


@FUZZ
@given(name=any_text, description=any_text, lat=st.one_of(any_text, st.floats(allow_nan=True, allow_infinity=True)))
@example(name=" Pôle <b>x</b> :red[y] ", description="Deux\r\nlignes", lat="47,2")
def test_the_ptce_catalogue_is_edited_exactly_or_refused(
    sqlite_engine: Engine, name: str, description: str, lat: object
) -> None:
    with session_scope(sqlite_engine) as session:
        ptce_id = session.execute(select(col(Ptce.id)).order_by(col(Ptce.id))).scalars().first()
    values = {"name": name, "description": description, "lat": lat}
    _, error = attempt(sqlite_engine, ptce.update_ptce, ptce_id=ptce_id, values=values, actor="lea")
    if lat == "47,2":
        assert error is None  # the explicit example takes the "stored" branch
    if error is None:
        with session_scope(sqlite_engine) as session:
            row = session.get(Ptce, ptce_id)
            assert row is not None and (row.name, row.description) == (cleaned(name), cleaned(description))
            assert row.lat is not None and 41.0 <= row.lat <= 52.0
