"""Every page a participant opens, and the room's screen, shows other people's texts only as published.

The store holds a pending text with a phone number, an email and a third party's name, a rejected one, and a
published one that staff masked; a neighbour's phone opens every page open to participants (the form with a
similar idea typed in, « Mes contributions » after supporting, the PTCE cards…) and the room's screen: none of
the personal data appears anywhere in what is drawn (text, widgets, tables, labels).
"""

from __future__ import annotations

import uuid

import pytest
from streamlit.testing.v1 import AppTest

from db.engine import session_scope
from services import contributions, moderation, ptce
from services.codes import device_token
from services.contributions import ContributionDraft
from tests.app_pages.helpers import app_as
from tests.services.test_published import PENDING, PUBLISHED, QUERY, REJECTED, SECRETS, STAFF, TITLE
from ui.navigation import PAGES

pytestmark = pytest.mark.usefixtures("app_env")
# The room's screen is opened by staff but read by everyone in the room.
ROOM_PAGES = {"app_pages/projector.py": "organizer"}


def seed() -> int:
    author = device_token()
    with session_scope(write=True) as s:
        code = ptce.list_ptce_catalogue(session=s, latest=0)[0].code
        ids = []
        for body, title in ((PENDING, ""), (REJECTED, ""), (PUBLISHED, TITLE)):
            d = ContributionDraft(theme_id=1, body=body, title=title, idempotency_key=uuid.uuid4().hex)
            receipt = contributions.submit_from_device(session=s, device_token=author, draft=d)
            ptce.tag_contribution_with_ptce(session=s, receipt_code=receipt.receipt_code, ptce_code=code, actor=STAFF)
            ids.append(receipt.contribution_id)
        moderation.reject(
            session=s, contribution_ids=[ids[1]], actor=STAFF, category="personal_data", reason="Données personnelles"
        )
        moderation.mask_automatically(session=s, contribution_ids=[ids[2]], actor=STAFF)
        moderation.publish(session=s, contribution_ids=[ids[2]], actor=STAFF)
    return ids[2]


def drawn(at: AppTest) -> str:
    """Everything the run draws: each element's message as sent to the browser, tables as CSV."""
    parts: list[str] = []
    for node in at._tree:
        if getattr(node, "type", "") in ("dataframe", "table"):
            parts.append(node.value.to_csv())  # type: ignore[union-attr]
        parts.append(str(getattr(node, "proto", "")))
    # Protobuf text escapes non-ASCII: decode it back so « Hortense » is found whatever surrounds it.
    return "\n".join(parts).encode("latin-1", "backslashreplace").decode("unicode_escape", "ignore")


def test_no_participant_page_shows_a_pending_or_rejected_text_or_unmasked_data() -> None:
    published = seed()
    neighbour = device_token()
    with session_scope(write=True) as s:
        contributions.support_contribution(session=s, device_token=neighbour, contribution_id=published)
    opened: list[str] = []
    problems: list[str] = []
    pages = [(spec.path, None) for spec in PAGES if spec.permission is None] + list(ROOM_PAGES.items())
    for path, role in pages:
        at = app_as(role)
        at.session_state["device_token_pays-de-la-loire-2016"] = neighbour  # ui.participant.token_key
        at.run()
        at.switch_page(path).run()
        assert not at.exception, (path, at.exception)
        if path == "app_pages/contribute.py":
            at.button_group(key="contribute_theme").set_value(1).run()
            at.text_area(key="contribute_body").input(QUERY).run()
            assert not at.exception
            assert "[téléphone masqué]" in drawn(at)  # the published one is offered, masked
        text = drawn(at)
        opened.append(path)
        problems += [f"{path} : {secret}" for secret in (*SECRETS, "Paul Girard") if secret in text]
    assert "app_pages/my_contributions.py" in opened and "app_pages/ptce.py" in opened
    assert problems == []
