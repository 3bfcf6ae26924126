"""Stand posters are refused while the QR codes would point to a local address that phones cannot open.

The default ESS_BASE_URL is http://localhost:8501: printed as is, every poster of the day would be useless. The
rule lives in services.qrcodes (tested there too); the page shows its French message and offers no download,
while still listing each stand's address (the on-screen preview a developer needs).
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.config import get_settings
from db.engine import session_scope
from models import Edition
from services import qrcodes
from services.errors import ValidationError
from tests.app_pages.helpers import app_as, texts

pytestmark = pytest.mark.usefixtures("app_env")

MESSAGE = (
    "Les affiches renvoient vers http://localhost:8501, que les téléphones ne peuvent pas joindre : donnez "
    "l'adresse publique du site dans ESS_BASE_URL (par exemple https://conference.region.fr) puis relancez "
    "l'application."
)


def _page(monkeypatch: pytest.MonkeyPatch, base_url: str | None, path: str, role: str | None = "admin") -> AppTest:
    """`path` opened by `role` with ESS_BASE_URL set to `base_url` (None: unset, the localhost default)."""
    if base_url is None:
        monkeypatch.delenv("ESS_BASE_URL", raising=False)
    else:
        monkeypatch.setenv("ESS_BASE_URL", base_url)
    get_settings.cache_clear()
    at = app_as(role).run()
    at.switch_page(path).run()
    assert not at.exception
    return at


def _stands_page(monkeypatch: pytest.MonkeyPatch, base_url: str | None) -> AppTest:
    return _page(monkeypatch, base_url, "app_pages/admin_stands.py")


def _downloads(at: AppTest) -> list[str]:
    return [str(getattr(getattr(b, "proto", b), "label", "")) for b in at.get("download_button")]


def test_with_the_default_localhost_address_the_page_says_what_to_set_and_prints_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at = _stands_page(monkeypatch, None)
    assert [e.value for e in at.error] == [MESSAGE]
    assert not any(label.startswith(("Télécharger les affiches", "PNG")) for label in _downloads(at))
    assert "http://localhost:8501/stand?code=" in texts(at)  # the addresses stay listed: a preview


def test_with_a_public_address_the_posters_download(monkeypatch: pytest.MonkeyPatch) -> None:
    at = _stands_page(monkeypatch, "https://ess.example/")
    assert not at.error
    labels = _downloads(at)
    assert "Télécharger les affiches A4 (PDF, une page par stand)" in labels and "PNG" in labels


def test_an_edition_with_a_local_address_of_its_own_is_told_where_to_fix_it(monkeypatch: pytest.MonkeyPatch) -> None:
    with session_scope(write=True) as session:
        edition = session.get(Edition, 1)
        assert edition is not None
        edition.public_base_url = "http://127.0.0.1:8501"
        session.add(edition)
    at = _stands_page(monkeypatch, "https://ess.example/")
    (error,) = [e.value for e in at.error]
    assert error.startswith("Les affiches renvoient vers http://127.0.0.1:8501, que les téléphones ne peuvent pas")
    assert "« Adresse publique de l'application (QR codes) » de l'édition" in error
    assert not any(label.startswith(("Télécharger les affiches", "PNG")) for label in _downloads(at))


def test_the_join_page_draws_its_qr_code_under_a_warning_while_the_address_is_local(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at = _page(monkeypatch, None, "app_pages/join.py", role=None)
    assert [w.value for w in at.warning] == [MESSAGE.replace("Les affiches renvoient", "Ce QR code renvoie")]
    assert at.get("image") or at.get("imgs")  # the QR code is still drawn: a preview on this machine


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8501",
        "http://127.0.0.1",
        "http://127.8.9.1:80/",
        "http://[::1]:8501",
        "http://0.0.0.0:8501",
        "http://app.localhost",
        "localhost:8501",
        "",
    ],
)
def test_local_addresses_are_refused_by_the_service(url: str) -> None:
    assert qrcodes.is_local_address(url)
    with pytest.raises(ValidationError):
        qrcodes.require_phone_reachable(url)
    stand = qrcodes.PosterStand(code="S01", name="Stand", theme_label="", theme_color="#000000", position=1)
    with pytest.raises(ValidationError):
        qrcodes.stand_poster_png(stand, url)
    with pytest.raises(ValidationError):
        qrcodes.stand_posters_pdf([stand], url)


@pytest.mark.parametrize("url", ["https://conference.example.fr", "http://192.168.1.20:8501", "https://10.0.0.5"])
def test_public_and_venue_network_addresses_are_accepted(url: str) -> None:
    assert not qrcodes.is_local_address(url)
    qrcodes.require_phone_reachable(url)


def test_the_room_screen_warns_under_its_qr_code_while_the_address_is_local(monkeypatch: pytest.MonkeyPatch) -> None:
    """The projector's QR code to contribute: drawn all the same, under the warning, as on the join page."""
    for base_url, warned in ((None, True), ("https://ess.example/", False)):
        at = _page(monkeypatch, base_url, "app_pages/projector.py", role="organizer")
        expected = [MESSAGE.replace("Les affiches renvoient", "Ce QR code renvoie")] if warned else []
        assert [w.value for w in at.warning] == expected
