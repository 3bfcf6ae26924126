"""The benchmark's protocol-level phone (bench/protocol.py) against a real server: it must do what a browser does.

One contribution through the websocket protocol (theme, text, « Envoyer », receipt read on the page), stored with
the device token the page wrote into its cookie; the same phone back later (a new connection carrying that
cookie) finds it in « Mes contributions ». Plus the page model alone on hand-made deltas (fast).
"""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.protocol import PageModel, Phone, ProtocolError
from db.engine import build_engine, session_scope
from models import Contribution, Participant
from tests.e2e.conftest import LiveApp

TEXT = "Des achats publics responsables qui ouvrent les marchés aux structures de l'ESS du territoire."


def _delta(path: list[int], element: str, **fields: object) -> ForwardMsg:
    msg = ForwardMsg()
    msg.metadata.delta_path.extend(path)
    proto = getattr(msg.delta.new_element, element)
    for name, value in fields.items():
        setattr(proto, name, value)
    return msg


def test_page_model_finds_widgets_by_key_and_label_texts_and_cookies() -> None:
    page = PageModel()
    page.apply(_delta([0, 0], "heading", body="Contribuer"))
    page.apply(_delta([0, 1], "text_area", id="$$ID-abc-contribute_body", label="Votre contribution *"))
    page.apply(_delta([3, 0], "button", id="$$ID-def-contribute_send", label="Envoyer ma contribution"))
    page.apply(_delta([0, 2], "metric", label="Votre code de reçu", body="AB12-CD34"))
    page.apply(
        _delta(
            [0, 3], "html", body='<script>document.cookie = "ess_device_x=tok_en-123456789012345; Max-Age=1";</script>'
        )
    )
    assert page.widget(key="contribute_body").kind == "text_area"
    assert page.widget(label="Envoyer").id.endswith("-contribute_send")
    assert page.metric("Votre code de reçu") == "AB12-CD34"
    assert page.texts()[0] == "Contribuer"
    assert page.cookies_written() == {"ess_device_x": "tok_en-123456789012345"}
    with pytest.raises(ProtocolError):
        page.widget(key="contribute")  # a key names the id's last part, whole
    page.start_run()
    assert page.widgets() == []


async def _contribute(base_url: str) -> tuple[str, dict[str, str], list[str]]:
    phone = Phone(base_url, timeout=60)
    await phone.open("contribuer")
    theme = phone.page.widget(key="contribute_theme")
    await phone.commit(theme, theme.options()[0])
    await phone.commit(phone.page.widget(key="contribute_body"), TEXT)
    await phone.click(key="contribute_send")
    code = phone.page.metric("Votre code de reçu")
    assert code, phone.page.texts()
    await phone.close()
    again = Phone(base_url, cookies={k: v for k, v in phone.cookies.items() if k.startswith("ess_device")})
    await again.open("mes-contributions")
    shown = again.page.texts()
    await again.close()
    return code, phone.cookies, shown


@pytest.mark.slow
def test_one_contribution_through_the_protocol_is_stored_and_found_again_by_its_cookie(live_app: LiveApp) -> None:
    code, cookies, shown = asyncio.run(_contribute(live_app.url))
    tokens = [v for k, v in cookies.items() if k.startswith("ess_device_")]
    assert len(tokens) == 1, cookies  # the page wrote the device cookie, the client kept it
    engine = build_engine(live_app.database_url)
    try:
        with session_scope(engine) as session:
            rows = session.exec(
                select(Contribution.body, Participant.device_token)
                .join(Participant, Participant.id == Contribution.participant_id)  # type: ignore[arg-type]
                .where(Contribution.receipt_code == code)
            ).all()
    finally:
        engine.dispose()
    assert rows == [(TEXT, tokens[0])]
    assert any(code in text for text in shown), shown  # the same device on a new connection


async def _form_in_fragments(base_url: str) -> tuple[dict[str, str], str, list[str]]:
    phone = Phone(base_url, timeout=60)
    await phone.open("contribuer")
    keys = ("contribute_theme", "contribute_body", "contribute_send")
    fragments = {key: phone.page.widget(key=key).fragment_id for key in keys}
    theme = phone.page.widget(key="contribute_theme")
    await phone.commit(theme, theme.options()[0])  # answered by the fragment's run (Phone waits for its end)
    await phone.commit(phone.page.widget(key="contribute_body"), TEXT)
    await phone.click(key="contribute_send")
    code = phone.page.metric("Votre code de reçu") or ""
    shown = phone.page.texts()
    await phone.close()
    return fragments, code, shown


@pytest.mark.slow
def test_the_contribution_form_reruns_alone_when_a_phone_uses_it(live_app: LiveApp) -> None:
    """A room of phones pays app.py (login, menu) at every tap outside a fragment (bench/bench_gestures.py):
    the form's widgets belong to a fragment, and a whole contribution goes through fragment runs only, the
    page's title staying in place from the first run."""
    fragments, code, shown = asyncio.run(_form_in_fragments(live_app.url))
    assert all(fragments.values()), fragments
    assert code
    assert "Contribuer" in shown
