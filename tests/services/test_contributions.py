"""Every rule of the phone contribution path, checked on the server: the widgets are never trusted."""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
import yaml
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from db.engine import session_scope
from models import Contribution, ContributionSupport, Orientation, Participant, Stand, utcnow
from services import contributions, participants, similar
from services.codes import READABLE_ALPHABET, device_token
from services.contributions import ContributionDraft, RateLimit, RateLimitExceeded
from services.errors import NotFoundError, ValidationError

BODY = "Un dossier unique de demande d'aide, plus simple pour les petites associations."
XSS = "Voir <img src=x onerror=alert(1)> et [x](javascript:alert(1)) : un lien ou une image reste du texte."
RECEIPT = re.compile(rf"^[{READABLE_ALPHABET}]{{4}}-[{READABLE_ALPHABET}]{{4}}$")


def draft(**overrides: Any) -> ContributionDraft:
    values: dict[str, Any] = {"theme_id": 1, "body": BODY, "idempotency_key": uuid.uuid4().hex}
    values.update(overrides)
    return ContributionDraft(**values)


def submit(engine: Engine, d: ContributionDraft, **kw: Any) -> contributions.Receipt:
    with session_scope(engine, write=True) as session:
        return contributions.submit_contribution(session=session, draft=d, **kw)


def from_device(engine: Engine, token: str, d: ContributionDraft, **kw: Any) -> contributions.Receipt:
    with session_scope(engine, write=True) as session:
        return contributions.submit_from_device(session=session, device_token=token, draft=d, **kw)


def count(engine: Engine, model: type = Contribution) -> int:
    with session_scope(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def stored(engine: Engine, receipt: contributions.Receipt) -> Contribution:
    with session_scope(engine) as session:
        row = session.get(Contribution, receipt.contribution_id)
        assert row is not None
        return row


def orientation_id(engine: Engine, code: str) -> int:
    with session_scope(engine) as session:
        row = session.exec(select(Orientation).where(Orientation.code == code)).one()
        assert row.id is not None
        return row.id


# --- the rules of a single contribution --------------------------------------------------------------


def test_a_valid_contribution_is_stored_with_a_readable_receipt(sqlite_engine: Engine) -> None:
    receipt = submit(sqlite_engine, draft(title="  Dossier unique  "))
    assert RECEIPT.match(receipt.receipt_code)
    assert not receipt.duplicate
    row = stored(sqlite_engine, receipt)
    assert (row.source, row.status, row.display_mode) == ("conference", "pending", "anonymous")
    assert row.title == "Dossier unique"
    assert row.consent_at is not None and row.created_at.tzinfo is not None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", "est obligatoire"),
        ("   \n\t  \n ", "est obligatoire"),
        ("Trop court.", "trop court : 11 caractère(s), 20 au minimum"),
        ("x" * 2001, "trop long : 2001 caractères, 2000 au maximum"),
        ("Un texte assez long mais avec \x07 un caractère de contrôle", "caractères de contrôle"),
        ("Un texte assez long avec un \ud800 demi-caractère", "caractères de contrôle"),
    ],
    ids=["empty", "whitespace", "short", "long", "control", "surrogate"],
)
def test_bad_texts_are_refused_with_a_french_message_and_nothing_stored(
    sqlite_engine: Engine, body: str, expected: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        submit(sqlite_engine, draft(body=body))
    assert expected in caught.value.errors["body"]
    assert count(sqlite_engine) == 0


def test_length_is_counted_in_characters_after_trimming(sqlite_engine: Engine) -> None:
    submit(sqlite_engine, draft(body="  " + "é" * 20 + "  "))
    submit(sqlite_engine, draft(body="🌱" * 2000))
    with pytest.raises(ValidationError):
        submit(sqlite_engine, draft(body=" " * 30 + "é" * 19 + " " * 30))
    assert count(sqlite_engine) == 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"theme_id": None}, "theme_id"),
        ({"theme_id": 99}, "theme_id"),
        ({"theme_id": "1"}, "theme_id"),
        ({"orientation_id": 9999}, "orientation_id"),
        ({"stance": "support"}, "stance"),
        ({"stance": "enthusiasm", "orientation_id": None}, "stance"),
        ({"actor_type": "lobby"}, "actor_type"),
        ({"departement": "75"}, "departement"),
        ({"display_mode": "name"}, "author_name"),
        ({"display_mode": "organisation"}, "organisation"),
        ({"display_mode": "pseudonym"}, "display_mode"),
        ({"source": "rumour"}, "source"),
        ({"title": "x" * 121}, "title"),
        ({"title": "Titre\x1b[31m"}, "title"),
        ({"author_name": "n" * 121}, "author_name"),
        ({"idempotency_key": "short"}, "idempotency_key"),
        ({"idempotency_key": "clé-non-ascii-é-123"}, "idempotency_key"),
        ({"participant_id": 424242}, "participant_id"),
        ({"stand_id": 424242}, "stand_id"),
        ({"ptce_id": 424242}, "ptce_id"),
    ],
    ids=lambda v: str(v) if isinstance(v, str) else None,
)
def test_each_field_is_checked_on_the_server(sqlite_engine: Engine, overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        submit(sqlite_engine, draft(**overrides))
    assert field in caught.value.errors
    assert count(sqlite_engine) == 0


def test_an_orientation_must_belong_to_the_chosen_theme(sqlite_engine: Engine) -> None:
    other_theme = orientation_id(sqlite_engine, "T3-O1")
    with pytest.raises(ValidationError) as caught:
        submit(sqlite_engine, draft(theme_id=1, orientation_id=other_theme, stance="support"))
    assert caught.value.errors["orientation_id"] == "Cette orientation n'existe pas pour la thématique choisie."
    receipt = submit(sqlite_engine, draft(theme_id=3, orientation_id=other_theme, stance="support_with_reservations"))
    assert stored(sqlite_engine, receipt).stance == "support_with_reservations"


def test_every_field_error_is_reported_at_once(sqlite_engine: Engine) -> None:
    with pytest.raises(ValidationError) as caught:
        submit(sqlite_engine, draft(theme_id=None, body="court", title="t" * 200))
    assert {"theme_id", "body", "title"} <= set(caught.value.errors)


def test_markup_is_stored_exactly_as_typed(sqlite_engine: Engine) -> None:
    receipt = submit(sqlite_engine, draft(body=XSS, title="<script>alert(1)</script>"))
    row = stored(sqlite_engine, receipt)
    assert row.body == XSS
    assert row.title == "<script>alert(1)</script>"


# --- idempotency ----------------------------------------------------------------------------------------


def test_a_retry_with_the_same_key_returns_the_first_receipt(sqlite_engine: Engine) -> None:
    first = submit(sqlite_engine, draft(idempotency_key="retry-key-0001"))
    again = submit(sqlite_engine, draft(idempotency_key="retry-key-0001", body="Un autre texte, envoyé par erreur."))
    assert again.duplicate
    assert (again.contribution_id, again.receipt_code) == (first.contribution_id, first.receipt_code)
    assert count(sqlite_engine) == 1
    assert stored(sqlite_engine, first).body == BODY


def test_simultaneous_double_taps_store_one_row(store_engine: Engine) -> None:
    """Twelve requests with one key at the same instant (double tap, reconnect replay): one row, one receipt."""
    token = device_token()
    key = "double-tap-" + uuid.uuid4().hex[:8]
    receipts: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(12)

    def tap() -> None:
        barrier.wait()
        try:
            receipts.append(from_device(store_engine, token, draft(idempotency_key=key)).receipt_code)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=tap) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(receipts)) == 1 and len(receipts) == 12
    assert count(store_engine) == 1
    assert count(store_engine, Participant) == 1


def test_the_same_text_sent_again_from_a_new_form_is_counted_once(store_engine: Engine) -> None:
    """After a server restart the form's key is gone: the same phone sending the same text gets its receipt."""
    token = device_token()
    first = from_device(store_engine, token, draft(idempotency_key="before-crash-01"))
    again = from_device(store_engine, token, draft(idempotency_key="after-restart-01", body=f"  {BODY}\n"))
    assert again.duplicate and again.receipt_code == first.receipt_code
    # Another theme, another text or another phone is another contribution.
    other_theme = from_device(store_engine, token, draft(idempotency_key="other-theme-01", theme_id=2))
    other_phone = from_device(store_engine, device_token(), draft(idempotency_key="other-phone-01"))
    assert not other_theme.duplicate and not other_phone.duplicate
    assert count(store_engine) == 3
    # Long after, the same words are a new contribution (someone insisting at the end of the day).
    with session_scope(store_engine, write=True) as session:
        row = session.get(Contribution, first.contribution_id)
        assert row is not None
        row.created_at = utcnow() - contributions.RESEND_WINDOW - timedelta(minutes=1)
        session.add(row)
    later = from_device(store_engine, token, draft(idempotency_key="much-later-001"))
    assert not later.duplicate and count(store_engine) == 4


# --- the device: a participant without an account -------------------------------------------------------


def test_a_device_becomes_a_participant_on_its_first_contribution_only(sqlite_engine: Engine) -> None:
    token = device_token()
    with session_scope(sqlite_engine) as session:
        assert participants.participant_id_for_token(session=session, device_token=token) is None
    first = from_device(sqlite_engine, token, draft())
    second = from_device(sqlite_engine, token, draft())
    assert stored(sqlite_engine, first).participant_id == stored(sqlite_engine, second).participant_id
    assert count(sqlite_engine, Participant) == 1


@pytest.mark.parametrize("token", ["", "court", "x" * 65, "a" * 40 + "<>", "é" * 43, None])
def test_a_malformed_device_token_is_refused(sqlite_engine: Engine, token: str | None) -> None:
    assert not participants.is_valid_device_token(token)
    with pytest.raises(ValidationError) as caught:
        from_device(sqlite_engine, token, draft())  # type: ignore[arg-type]
    assert "device_token" in caught.value.errors
    assert count(sqlite_engine) == 0 and count(sqlite_engine, Participant) == 0


def test_the_same_new_device_on_many_threads_is_one_participant(store_engine: Engine) -> None:
    token = device_token()
    ids: list[int] = []
    barrier = threading.Barrier(8)

    def first_use() -> None:
        barrier.wait()
        with session_scope(store_engine, write=True) as session:
            ids.append(participants.get_or_create_participant(session=session, device_token=token).id)

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ids) == 8 and len(set(ids)) == 1


# --- the per-device rate limit --------------------------------------------------------------------------


def test_the_rate_limit_is_per_device_with_a_friendly_message(sqlite_engine: Engine) -> None:
    limit = RateLimit(max_count=3, window_s=600)
    phone, neighbour = device_token(), device_token()
    for n in range(3):
        from_device(sqlite_engine, phone, draft(body=f"{BODY} Idée {n}."), rate_limit=limit)
    with pytest.raises(RateLimitExceeded) as caught:
        from_device(sqlite_engine, phone, draft(body=f"{BODY} Idée 4."), rate_limit=limit)
    assert "3 contributions en 10 minutes" in caught.value.message
    assert "Votre texte est conservé" in caught.value.message
    assert 0 < caught.value.retry_after_s <= 600
    # The neighbour shares the venue's IP address, not the phone: not throttled.
    from_device(sqlite_engine, neighbour, draft(), rate_limit=limit)
    assert count(sqlite_engine) == 4


def test_a_retry_of_a_stored_contribution_is_never_throttled(sqlite_engine: Engine) -> None:
    limit = RateLimit(max_count=1, window_s=600)
    phone = device_token()
    first = from_device(sqlite_engine, phone, draft(idempotency_key="only-one-key-1"), rate_limit=limit)
    again = from_device(sqlite_engine, phone, draft(idempotency_key="only-one-key-1"), rate_limit=limit)
    assert again.duplicate and again.receipt_code == first.receipt_code


def test_bad_input_is_reported_before_the_rate_limit(sqlite_engine: Engine) -> None:
    limit = RateLimit(max_count=1, window_s=600)
    phone = device_token()
    from_device(sqlite_engine, phone, draft(), rate_limit=limit)
    with pytest.raises(ValidationError):
        from_device(sqlite_engine, phone, draft(body="court"), rate_limit=limit)


def test_contributions_older_than_the_window_do_not_count(sqlite_engine: Engine) -> None:
    limit = RateLimit(max_count=2, window_s=600)
    phone = device_token()
    with session_scope(sqlite_engine, write=True) as session:
        participant = participants.get_or_create_participant(session=session, device_token=phone)
    for _ in range(2):
        submit(sqlite_engine, draft(participant_id=participant.id, created_at=utcnow() - timedelta(minutes=30)))
    from_device(sqlite_engine, phone, draft(body=f"{BODY} Idée 1."), rate_limit=limit)
    from_device(sqlite_engine, phone, draft(body=f"{BODY} Idée 2."), rate_limit=limit)
    with pytest.raises(RateLimitExceeded):
        from_device(sqlite_engine, phone, draft(body=f"{BODY} Idée 3."), rate_limit=limit)


# --- supports --------------------------------------------------------------------------------------------


def support(engine: Engine, token: str, contribution_id: int) -> contributions.SupportReceipt:
    with session_scope(engine, write=True) as session:
        return contributions.support_contribution(session=session, device_token=token, contribution_id=contribution_id)


def test_supporting_counts_once_per_device(sqlite_engine: Engine) -> None:
    author, fan, other_fan = device_token(), device_token(), device_token()
    receipt = from_device(sqlite_engine, author, draft(status="published"))
    first = support(sqlite_engine, fan, receipt.contribution_id)
    assert first.new and first.supports == 1
    again = support(sqlite_engine, fan, receipt.contribution_id)
    assert not again.new and again.supports == 1
    assert support(sqlite_engine, other_fan, receipt.contribution_id).supports == 2
    assert count(sqlite_engine, ContributionSupport) == 2


def test_one_cannot_support_ones_own_a_pending_or_a_rejected_contribution(sqlite_engine: Engine) -> None:
    author, fan = device_token(), device_token()
    mine = from_device(sqlite_engine, author, draft(status="published"))
    with pytest.raises(ValidationError):
        support(sqlite_engine, author, mine.contribution_id)
    # Only what participants may read (published) can be backed: services.published.
    for status in ("pending", "rejected"):
        hidden = submit(sqlite_engine, draft(status=status))
        with pytest.raises(NotFoundError):
            support(sqlite_engine, fan, hidden.contribution_id)
    with pytest.raises(NotFoundError):
        support(sqlite_engine, fan, 987654)
    assert count(sqlite_engine, ContributionSupport) == 0


# --- « Mes contributions » --------------------------------------------------------------------------------


def test_my_contributions_lists_this_device_only_newest_first(sqlite_engine: Engine) -> None:
    phone, other = device_token(), device_token()
    orientation = orientation_id(sqlite_engine, "T1-O1")
    older = from_device(
        sqlite_engine,
        phone,
        draft(
            orientation_id=orientation,
            stance="disagreement",
            created_at=utcnow() - timedelta(minutes=5),
            status="published",
        ),
    )
    newer = from_device(sqlite_engine, phone, draft(theme_id=3, body=XSS, title="Titre"))
    from_device(sqlite_engine, other, draft())
    support(sqlite_engine, other, older.contribution_id)
    with session_scope(sqlite_engine) as session:
        mine = contributions.list_device_contributions(session=session, device_token=phone)
        nobody = contributions.list_device_contributions(session=session, device_token=device_token())
    assert [m.receipt_code for m in mine] == [newer.receipt_code, older.receipt_code]
    assert (mine[0].text, mine[0].title, mine[0].theme_label) == (XSS, "Titre", "Emploi")
    assert mine[1].orientation_title is not None and mine[1].stance == "disagreement"
    assert (mine[0].supports, mine[1].supports) == (0, 1)
    assert nobody == []


def test_my_contributions_show_the_masked_copy_once_staff_made_one(sqlite_engine: Engine) -> None:
    phone = device_token()
    receipt = from_device(sqlite_engine, phone, draft(body="Appelez-moi au 06 12 34 56 78 pour en parler ensemble."))
    with session_scope(sqlite_engine, write=True) as session:
        row = session.get(Contribution, receipt.contribution_id)
        assert row is not None
        row.masked_body = "Appelez-moi au [numéro masqué] pour en parler ensemble."
    with session_scope(sqlite_engine) as session:
        (mine,) = contributions.list_device_contributions(session=session, device_token=phone)
    assert "[numéro masqué]" in mine.text


def test_the_contributions_a_device_supports_are_listed(sqlite_engine: Engine) -> None:
    author, fan = device_token(), device_token()
    receipt = from_device(sqlite_engine, author, draft(theme_id=5, status="published"))
    support(sqlite_engine, fan, receipt.contribution_id)
    with session_scope(sqlite_engine) as session:
        (backed,) = contributions.list_device_supports(session=session, device_token=fan)
        assert contributions.list_device_supports(session=session, device_token=author) == []
    assert (backed.contribution_id, backed.supports, backed.theme_label) == (
        receipt.contribution_id,
        1,
        "Faire connaître l'ESS",
    )


# --- from a stand (treasure hunt) -----------------------------------------------------------------------


def test_a_stand_code_gives_theme_and_treasure_hunt_source(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine) as session:
        stand = contributions.find_open_stand(session=session, code=" s04 ")
        assert contributions.find_open_stand(session=session, code="S99") is None
        assert contributions.find_open_stand(session=session, code="") is None
        assert contributions.find_open_stand(session=session, code="x" * 500) is None
    assert stand is not None and stand.code == "S04" and stand.theme_id == 2
    receipt = from_device(
        sqlite_engine, device_token(), draft(theme_id=stand.theme_id, source="treasure_hunt", stand_id=stand.id)
    )
    row = stored(sqlite_engine, receipt)
    assert (row.source, row.stand_id) == ("treasure_hunt", stand.id)


def test_a_closed_stand_is_not_offered(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine, write=True) as session:
        row = session.exec(select(Stand).where(Stand.code == "S01")).one()
        row.active = False
    with session_scope(sqlite_engine) as session:
        assert contributions.find_open_stand(session=session, code="S01") is None


# --- similar contributions -----------------------------------------------------------------------------


def demo_texts(theme: str) -> list[str]:
    items = yaml.safe_load(open("assets/demo/contributions.yaml", encoding="utf-8"))["contributions"]  # noqa: SIM115
    return [i["text"] for i in items if i["theme"] == theme]


def find(engine: Engine, theme_id: int, text: str, token: str | None = None) -> list[similar.SimilarContribution]:
    with session_scope(engine) as session:
        return similar.find_similar_contributions(session=session, theme_id=theme_id, text=text, device_token=token)


def test_a_reworded_idea_is_found_and_an_unrelated_one_is_not(sqlite_engine: Engine) -> None:
    for text in demo_texts("institutions"):
        submit(sqlite_engine, draft(theme_id=1, body=text, status="published"))
    found = find(sqlite_engine, 1, "Les dossiers de demande de subvention sont trop lourds : un dossier unique !")
    assert found and "dossier" in found[0].text.lower()
    assert len(found) <= 3
    assert found == sorted(found, key=lambda f: f.score, reverse=True)
    assert find(sqlite_engine, 1, "Organiser une fête de quartier avec la fanfare municipale le samedi soir.") == []


def test_similar_ideas_come_from_the_same_theme_and_published_ones_only(sqlite_engine: Engine) -> None:
    text = "Créer un fonds régional d'amorçage pour les projets de l'ESS en phase de lancement."
    same = submit(sqlite_engine, draft(theme_id=2, body=text, status="published"))
    submit(sqlite_engine, draft(theme_id=2, body=text + " En attente.", status="pending"))
    submit(sqlite_engine, draft(theme_id=3, body=text, status="published"))
    submit(sqlite_engine, draft(theme_id=2, body=text + " Rejetée.", status="rejected"))
    found = find(sqlite_engine, 2, "Un fonds d'amorçage régional pour lancer les projets ESS")
    assert [f.contribution_id for f in found] == [same.contribution_id]


def test_at_most_three_distinct_suggestions_never_ones_own(sqlite_engine: Engine) -> None:
    me, fan = device_token(), device_token()
    base = "Mutualiser un poste de comptable entre plusieurs petites associations du même territoire"
    for _ in range(3):
        # The same text three times: offered once.
        submit(sqlite_engine, draft(theme_id=4, body=base + ".", status="published"))
    for variant in ("et le partager", "pour réduire les coûts", "avec un groupement d'employeurs", "dès 2017"):
        submit(sqlite_engine, draft(theme_id=4, body=f"{base} {variant}.", status="published"))
    mine = from_device(sqlite_engine, me, draft(theme_id=4, body=base + " : c'est mon idée.", status="published"))
    found = find(sqlite_engine, 4, base, token=me)
    assert len(found) == 3
    assert len({f.text for f in found}) == 3
    assert mine.contribution_id not in {f.contribution_id for f in found}
    support(sqlite_engine, fan, found[0].contribution_id)
    again = find(sqlite_engine, 4, base, token=fan)
    assert any(f.supported_by_me and f.supports == 1 for f in again)


def test_no_suggestion_for_a_short_text_or_without_a_theme(sqlite_engine: Engine) -> None:
    submit(sqlite_engine, draft(theme_id=1, body="Simplifier les dossiers de subvention des associations."))
    assert find(sqlite_engine, 1, "dossiers") == []
    with session_scope(sqlite_engine) as session:
        assert similar.find_similar_contributions(session=session, theme_id=None, text=BODY) == []


def test_match_keys_ignore_case_accents_and_little_words() -> None:
    assert similar.match_key("Les ÉLUS et la Région : des dossiers trop LOURDS !") == "elus region dossiers lourds"


# --- the projector's count -------------------------------------------------------------------------------


def test_the_running_count_leaves_out_rejected_contributions(sqlite_engine: Engine) -> None:
    submit(sqlite_engine, draft())
    submit(sqlite_engine, draft(status="published", source="workshop"))
    submit(sqlite_engine, draft(status="rejected"))
    with session_scope(sqlite_engine) as session:
        assert contributions.count_contributions(session=session) == 2


# --- staff bulk entry ------------------------------------------------------------------------------------


def test_pasted_notes_are_cut_at_blank_lines() -> None:
    pasted = "Première idée\nsur deux lignes.\r\n\r\n  \nDeuxième idée.\n\n\n\nTroisième.  \n"
    expected = ["Première idée\nsur deux lignes.", "Deuxième idée.", "Troisième."]
    assert contributions.split_pasted_text(pasted) == expected
    assert contributions.split_pasted_text("  \n\n ") == []


def test_batch_keys_are_stable_per_batch_and_paragraph() -> None:
    key = contributions.batch_idempotency_key
    assert key("lot-a", "Une idée") == key("lot-a", "  Une idée ")
    assert key("lot-a", "Une idée") != key("lot-b", "Une idée")
    assert key("lot-a", "Une idée") != key("lot-a", "Une autre idée")
    assert len(key("lot-a", "x" * 5000)) <= 64


def test_a_batch_stores_the_valid_items_reports_the_others_and_never_twice(sqlite_engine: Engine) -> None:
    paragraphs = [BODY, "court", "Une deuxième contribution d'atelier, assez longue.", "\x07" * 30]
    drafts = [
        draft(body=p, source="workshop", entered_by="lea", idempotency_key=contributions.batch_idempotency_key("b1", p))
        for p in paragraphs
    ]
    with session_scope(sqlite_engine, write=True) as session:
        items = contributions.submit_batch(session=session, drafts=drafts)
    assert [i.receipt is not None for i in items] == [True, False, True, False]
    assert "body" in items[1].errors and "body" in items[3].errors
    with session_scope(sqlite_engine, write=True) as session:
        again = contributions.submit_batch(session=session, drafts=drafts)
    assert all(i.receipt.duplicate for i in again if i.receipt is not None)
    assert count(sqlite_engine) == 2
    with session_scope(sqlite_engine) as session:
        entries = contributions.list_entries_by(session=session, entered_by="lea")
        rows = session.exec(select(Contribution.source).where(col(Contribution.entered_by) == "lea")).all()
    assert len(entries) == 2 and set(rows) == {"workshop"}


def test_a_batch_stores_rows_exactly_as_one_by_one_submits_would(store_engine: Engine) -> None:
    """The batch path (staff entry, questionnaire import) and submit_contribution store the same row."""
    when = utcnow() - timedelta(days=3)
    fields: dict[str, Any] = {
        "title": "  Un titre  ",
        "source": "questionnaire",
        "organisation": "Coopérative Idéal",
        "actor_type": "cooperative",
        "departement": "44",
        "display_mode": "organisation",
        "created_at": when,
        "entered_by": "lea",
    }
    single = submit(store_engine, draft(idempotency_key="single-0001", **fields))
    repeated = draft(idempotency_key="batch-0001", **fields)
    with session_scope(store_engine, write=True) as session:
        items = contributions.submit_batch(
            session=session, drafts=[repeated, draft(body="court"), repeated, draft(idempotency_key="single-0001")]
        )
    first, refused, again, retry = items
    assert first.receipt is not None and RECEIPT.match(first.receipt.receipt_code) and not first.receipt.duplicate
    assert refused.receipt is None and "body" in refused.errors
    # The same key twice in one batch, or a key stored before: the first receipt, marked as a retry.
    assert again.receipt == replace(first.receipt, duplicate=True)
    assert retry.receipt is not None and (retry.receipt.receipt_code, retry.receipt.duplicate) == (
        single.receipt_code,
        True,
    )
    with session_scope(store_engine) as session:
        rows = {r.idempotency_key: r for r in session.exec(select(Contribution)).all()}
    assert len(rows) == 2
    skip = {"id", "receipt_code", "idempotency_key"}
    one, batch = rows["single-0001"].model_dump(exclude=skip), rows["batch-0001"].model_dump(exclude=skip)
    assert batch == one
    assert (batch["title"], batch["status"], batch["created_at"]) == ("Un titre", "pending", when)
