"""Participants read other people's contributions only as published: never pending, never rejected, masked.

Every service behind a participant page or the room's screen is asked, on SQLite and PostgreSQL, with a
pending text holding a phone number, an email and a third party's name, a rejected one, and a published one
that staff masked: only the masked published text ever comes back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from db.engine import session_scope
from services import contributions, moderation, ptce, similar, tallies
from services.codes import device_token
from services.contributions import ContributionDraft
from services.errors import NotFoundError
from services.tallies import TallyFilter

STAFF = "test-staff"
QUERY = "Les dossiers de subvention de la Région sont beaucoup trop lourds pour les petites associations"
PENDING = (
    "Les dossiers de subvention de la Région sont trop lourds pour les petites associations : "
    "appelez Claire Dubois au 06 12 34 56 78 ou écrivez à claire.dubois@exemple.fr."
)
REJECTED = (
    "Les dossiers de subvention de la Région sont bien trop lourds pour nos petites associations, "
    "voyez Madame Hortense Vasseur au 02 40 11 22 33 ou hortense@vasseur.fr."
)
PUBLISHED = (
    "Les dossiers de subvention de la Région sont beaucoup trop lourds pour une petite association, "
    "disait Jean Lemaire (07 98 76 54 32, jean.lemaire@exemple.org)."
)
SECRETS = (
    "Claire Dubois",
    "06 12 34 56 78",
    "claire.dubois@exemple.fr",
    "Hortense",
    "Vasseur",
    "02 40 11 22 33",
    "hortense@vasseur.fr",
    "Jean Lemaire",
    "07 98 76 54 32",
    "jean.lemaire@exemple.org",
)
TITLE = "Idée de Paul Girard, 06 55 44 33 22"


@dataclass(frozen=True)
class Seeded:
    engine: Engine
    pending: int
    rejected: int
    published: int
    author: str  # the device that sent every one of them


def run(engine: Engine, fn: Any, **kw: Any) -> Any:
    with session_scope(engine, write=True) as session:
        return fn(session=session, **kw)


@pytest.fixture
def seeded(store_engine: Engine) -> Seeded:
    author = device_token()
    ptce_code = run(store_engine, ptce.list_ptce_catalogue, latest=0)[0].code

    def send(body: str, title: str = "") -> int:
        d = ContributionDraft(theme_id=1, body=body, title=title, idempotency_key=uuid.uuid4().hex)
        receipt = run(store_engine, contributions.submit_from_device, device_token=author, draft=d)
        run(
            store_engine,
            ptce.tag_contribution_with_ptce,
            receipt_code=receipt.receipt_code,
            ptce_code=ptce_code,
            actor=STAFF,
        )
        return int(receipt.contribution_id)

    pending, rejected, published = send(PENDING), send(REJECTED), send(PUBLISHED, TITLE)
    run(
        store_engine,
        moderation.reject,
        contribution_ids=[rejected],
        actor=STAFF,
        category="personal_data",
        reason="Données personnelles",
    )
    run(store_engine, moderation.mask_automatically, contribution_ids=[published], actor=STAFF)
    run(store_engine, moderation.publish, contribution_ids=[published], actor=STAFF)
    return Seeded(store_engine, pending, rejected, published, author)


def leaks(value: object) -> list[str]:
    text = repr(value)
    return [s for s in (*SECRETS, "Paul Girard", "06 55 44 33 22") if s in text]


def test_similar_ideas_are_published_ones_only_and_masked(seeded: Seeded) -> None:
    found = run(seeded.engine, similar.find_similar_contributions, theme_id=1, text=QUERY, device_token=device_token())
    assert [f.contribution_id for f in found] == [seeded.published]
    assert "[téléphone masqué]" in found[0].text and "[courriel masqué]" in found[0].text
    assert "[nom masqué]" in found[0].title
    assert leaks(found) == []


def test_only_a_published_contribution_can_be_supported(seeded: Seeded) -> None:
    fan = device_token()
    for hidden in (seeded.pending, seeded.rejected):
        with pytest.raises(NotFoundError):
            run(seeded.engine, contributions.support_contribution, device_token=fan, contribution_id=hidden)
    run(seeded.engine, contributions.support_contribution, device_token=fan, contribution_id=seeded.published)
    (backed,) = run(seeded.engine, contributions.list_device_supports, device_token=fan)
    assert backed.text is not None and "[téléphone masqué]" in backed.text and leaks(backed) == []
    # Back in the moderation queue (or rejected): the supporter no longer reads its text.
    run(seeded.engine, moderation.return_to_queue, contribution_ids=[seeded.published], actor=STAFF)
    (backed,) = run(seeded.engine, contributions.list_device_supports, device_token=fan)
    assert backed.text is None


def test_the_room_and_the_ptce_cards_show_published_texts_masked(seeded: Seeded) -> None:
    latest = run(seeded.engine, tallies.latest_contributions, filters=TallyFilter())
    assert [c.contribution_id for c in latest] == [seeded.published]
    words = run(seeded.engine, tallies.top_words, filters=TallyFilter(), top=50)
    cards = run(seeded.engine, ptce.list_ptce_catalogue)
    assert [text for card in cards for text in card.latest] == [latest[0].text]
    assert leaks(latest) == [] and leaks(cards) == []
    assert not {"claire", "dubois", "hortense", "vasseur", "lemaire", "girard"} & set(words["word"])


def test_the_author_still_reads_their_own_texts(seeded: Seeded) -> None:
    mine = run(seeded.engine, contributions.list_device_contributions, device_token=seeded.author)
    assert PENDING in [m.text for m in mine] and REJECTED in [m.text for m in mine]
