"""Settings: placeholder secrets refused, a key generated once into the git-ignored secrets file."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from core.config import Settings, ensure_secrets_file


@pytest.mark.parametrize("key", ["changeme", "secret", "trop-courte"])
def test_placeholder_or_short_cookie_keys_are_refused(key: str) -> None:
    with pytest.raises(ValidationError, match="au moins 32"):
        Settings(cookie_key=key)


def test_a_missing_key_stops_the_login_with_a_clear_message() -> None:
    with pytest.raises(RuntimeError, match="make run"):
        Settings(cookie_key="").require_cookie_key()


def test_secrets_file_gets_a_random_key_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ESS_COOKIE_KEY", raising=False)
    path = tmp_path / ".streamlit" / "secrets.toml"
    assert ensure_secrets_file(path) is True
    first = path.read_text()
    assert ensure_secrets_file(path) is False
    assert path.read_text() == first
    key = first.split('"')[1]
    assert len(key) >= 32 and Settings(cookie_key=key).cookie_key == key
    assert path.stat().st_mode & 0o077 == 0


def test_gitignore_keeps_secrets_and_data_out_of_the_repository() -> None:
    ignored = Path(__file__).resolve().parents[1].joinpath(".gitignore").read_text().splitlines()
    assert ".streamlit/secrets.toml" in ignored and "data/" in ignored


def test_the_address_ceilings_default_to_the_figures_services_throttle_justifies() -> None:
    from core.config import get_settings
    from services import throttle
    from ui.participant import origin_for

    get_settings.cache_clear()
    try:
        assert origin_for("k") == throttle.Origin("k")
    finally:
        get_settings.cache_clear()
