"""Erasure and the retention purge leave none of a person's data anywhere in the store.

One participant's data is spread wherever the app can put it: contributions with a name, an organisation and
personal data in the text, a title, a rejection reason quoting them, masked copies edited twice (the audit
trail keeps each copy), a group whose representative text was copied from the text as typed, an orientation
linked to it, supports, stand visits, a questionnaire answered with a name, an email and an open answer (which
became a contribution). After erasure by the phone's token and by the resume code, or after the retention
purge, every text column of every table (reflected from the database itself, not listed by hand) is searched
for the erased values, on SQLite and PostgreSQL; on SQLite the database file is searched too.
"""

from __future__ import annotations

import json
import uuid
import warnings
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, MetaData, String, Text, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SAWarning
from sqlmodel import col
from sqlmodel import select as sqlmodel_select

from db.engine import session_scope
from models import AuditEvent, Contribution, ContributionVector, Participant, utcnow
from services import auth, circuit, contributions, drafting, grouping, moderation, privacy, semantics
from services import questionnaires as qs
from services.codes import device_token
from services.contributions import ContributionDraft
from services.permissions import CONSOLE_ACTOR
from tests.fixtures.hostile import answer_every_question

STAFF = "test-staff"
NAME = "Zoé Marchal"
ORGANISATION = "Atelier Marchal et Fils"
EMAIL = "zoe.marchal@exemple.fr"
PHONE = "06 11 22 33 44"
THIRD_PARTY = "Madame Odile Ferrand"
NICKNAME = "Tonton Quiproquo"  # no detector finds it: only staff's manual mask does
BODY = (
    f"Pour mutualiser les locaux des associations du quartier, appelez {THIRD_PARTY} au {PHONE} "
    f"ou écrivez à {EMAIL}, ou demandez {NICKNAME} qui connaît tout le monde."
)
OTHER = "Mutualiser les locaux des associations du quartier pour partager les frais et les compétences."
ANSWER = f"Un tiers-lieu pour les associations, contact {EMAIL} ou {PHONE}, au nom de {NAME}."


@dataclass(frozen=True)
class Person:
    token: str
    public_code: str
    resume_code: str

    @property
    def values(self) -> tuple[str, ...]:
        """What must be found nowhere once erased."""
        return (NAME, ORGANISATION, EMAIL, PHONE, "Odile Ferrand", NICKNAME, self.token, self.public_code)


def run(engine: Engine, fn: Any, **kw: Any) -> Any:
    with session_scope(engine, write=True) as session:
        return fn(session=session, **kw)


def spread_everywhere(engine: Engine) -> Person:
    """One person's data in every place the app can keep it, through the real services."""
    run(engine, auth.create_user, username=STAFF, password="mot-de-passe-du-test", role="staff", actor=CONSOLE_ACTOR)
    token = device_token()

    def send(body: str, theme_id: int = 4, **kw: Any) -> int:
        d = ContributionDraft(theme_id=theme_id, body=body, idempotency_key=uuid.uuid4().hex, **kw)
        return int(run(engine, contributions.submit_from_device, device_token=token, draft=d).contribution_id)

    main = send(BODY, title=f"Idée de {NAME}", author_name=NAME, organisation=ORGANISATION, display_mode="name")
    rejected = send(f"{BODY} Deuxième envoi.", author_name=NAME, organisation=ORGANISATION)
    others = [
        int(
            run(
                engine,
                contributions.submit_contribution,
                draft=ContributionDraft(theme_id=4, body=f"{OTHER} ({n})", idempotency_key=uuid.uuid4().hex),
            ).contribution_id
        )
        for n in range(2)
    ]
    run(
        engine,
        moderation.reject,
        contribution_ids=[rejected],
        actor=STAFF,
        category="other",
        reason=f"Cite {NAME} et le {PHONE}",
    )
    # A first masked copy forgets the phone and the nickname; the second is right: the trail keeps both.
    partial = BODY.replace(EMAIL, "[courriel masqué]")
    run(engine, moderation.set_masked_text, contribution_id=main, masked_text=partial, actor=STAFF)
    full = moderation.mask_personal_data(BODY).replace(NICKNAME, "[surnom masqué]")
    run(engine, moderation.set_masked_text, contribution_id=main, masked_text=full, actor=STAFF)
    # Rejected then published: the trail keeps the reason that quoted the person.
    run(
        engine,
        moderation.reject,
        contribution_ids=[main],
        actor=STAFF,
        category="personal_data",
        reason=f"Trop personnel : {NAME}, {EMAIL}",
    )
    run(engine, moderation.publish, contribution_ids=[main, *others], actor=STAFF)
    # Their sentence vectors, as grouping and suggestions keep them (derived from the texts as typed).
    with session_scope(engine, write=True) as session:
        semantics.contribution_vectors(session, [(main, BODY), (rejected, f"{BODY} Deuxième envoi.")])
    run(engine, contributions.support_contribution, device_token=token, contribution_id=others[0])
    run(engine, circuit.visit_stand, device_token=token, stand_code="S01")

    run(engine, grouping.propose_groups, theme_id=4, threshold=grouping.min_threshold(), actor=STAFF)
    proposed = run(engine, grouping.list_groups, theme_id=4, statuses=["proposed"])
    group = next(g for g in proposed if main in {m.contribution_id for m in g.members})
    # Staff copy the text as typed into the group's representative text.
    run(engine, grouping.confirm_group, group_id=group.id, actor=STAFF, representative_text=BODY)
    orientation = run(engine, drafting.list_draft_orientations, theme_id=4)[0]
    run(engine, drafting.link_sources, orientation_id=orientation.id, actor=STAFF, contribution_ids=[main])

    questionnaire = run(engine, qs.get_questionnaire)
    answers = answer_every_question(questionnaire, ANSWER)
    respondent = qs.Respondent(respondent_name=NAME, email=EMAIL, organisation=ORGANISATION)
    draft = run(engine, qs.save_draft, questionnaire_id=questionnaire.id, answers=answers, respondent=respondent)
    run(engine, qs.submit_response, resume_code=draft.resume_code)
    with session_scope(engine) as session:
        public_code = session.exec(
            sqlmodel_select(col(Participant.public_code)).where(col(Participant.device_token) == token)
        ).one()
    return Person(token, str(public_code), draft.resume_code)


def text_values(engine: Engine) -> list[tuple[str, str, str]]:
    """(table, column, value) of every text or JSON column of every table, as the database reflects them."""
    meta = MetaData()
    with warnings.catch_warnings():  # an expression index (tally quarter) cannot be reflected; no text there
        warnings.simplefilter("ignore", SAWarning)
        meta.reflect(bind=engine)
    found: list[tuple[str, str, str]] = []
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON) or "JSON" in str(c.type)]
            if not columns:
                continue
            for row in conn.execute(select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                    found.append((table.name, column.name, shown))
    return found


def left_behind(engine: Engine, person: Person) -> list[str]:
    return sorted(
        {
            f"{table}.{column} : {value!r}"
            for table, column, text in text_values(engine)
            for value in person.values
            if value.lower() in text.lower()
        }
    )


def test_the_seed_reaches_every_place_it_should(store_engine: Engine) -> None:
    # The search below is only worth something if the values are there before erasure.
    person = spread_everywhere(store_engine)
    places = {line.split(" : ")[0] for line in left_behind(store_engine, person)}
    assert {
        "contribution.author_name",
        "contribution.organisation",
        "contribution.body",
        "contribution.title",
        "contribution.rejection_reason",
        "auditevent.before",
        "auditevent.after",
        "contributiongroup.representative_text",
        "questionnaireresponse.respondent_name",
        "questionnaireresponse.email",
        "answer.value_text",
        "participant.device_token",
    } <= places


def test_erasure_leaves_no_value_anywhere_in_the_store(store_engine: Engine) -> None:
    person = spread_everywhere(store_engine)
    run(store_engine, privacy.erase_personal_data, code=person.token, actor=STAFF)
    run(store_engine, privacy.erase_personal_data, code=person.resume_code, actor=STAFF)
    assert left_behind(store_engine, person) == []
    with session_scope(store_engine) as session:
        # No vector of a text as it was before erasure (vectors are bytes: the text search cannot see them).
        typed = {semantics.model.digest(t) for t in (BODY, f"{BODY} Deuxième envoi.", ANSWER)}
        assert not typed & set(session.exec(sqlmodel_select(ContributionVector.digest)).all())
        bodies = session.exec(
            sqlmodel_select(Contribution.body).where(col(Contribution.personal_data_erased_at).is_not(None))
        ).all()
        # The texts stay for the strategy, anonymised (two from the phone, the open answers of the questionnaire);
        # the audit trail keeps its events.
        assert len(bodies) >= 3 and all("[téléphone masqué]" in body for body in bodies)
        events = session.exec(sqlmodel_select(AuditEvent.action)).all()
        assert "contribution.reject" in events and "contribution.mask" in events


def test_the_retention_purge_leaves_no_value_anywhere_in_the_store(store_engine: Engine) -> None:
    person = spread_everywhere(store_engine)
    later = utcnow() + timedelta(days=400)
    run(store_engine, privacy.purge_personal_data, retention_months=12, now=later, actor=CONSOLE_ACTOR)
    assert left_behind(store_engine, person) == []


def test_sqlite_keeps_no_erased_text_in_the_database_file(sqlite_engine: Engine) -> None:
    # Debian builds SQLite with secure_delete on by default, most others do not: start from « off ».
    event.listen(sqlite_engine, "connect", lambda dbapi_conn, _: dbapi_conn.execute("PRAGMA secure_delete=OFF"))
    sqlite_engine.dispose()
    person = spread_everywhere(sqlite_engine)
    with sqlite_engine.connect() as conn:  # in a live store SQLite checkpoints on its own every 1 000 pages
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    run(sqlite_engine, privacy.erase_personal_data, code=person.token, actor=STAFF)
    run(sqlite_engine, privacy.erase_personal_data, code=person.resume_code, actor=STAFF)
    # As the privacy page and manage.py do once the erasure is committed; the app's connections stay open.
    with session_scope(sqlite_engine) as session:
        privacy.release_erased_pages(session=session)
    path = Path(str(sqlite_engine.url.database))
    raw = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    assert [v for v in person.values if v.encode() in raw] == []
