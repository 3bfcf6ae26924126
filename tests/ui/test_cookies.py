"""The one place the app writes a cookie from the page: only our own names and values get into the script."""

from __future__ import annotations

import pytest

from ui.cookies import COOKIE_NAME_RE, write_cookie
from ui.participant import cookie_name


@pytest.mark.parametrize(
    ("name", "value", "same_site"),
    [
        ("ess_device", 'abc"; document.location="https://example.org', "Lax"),
        ("ess_device", "a" * 20 + ";Domain=example.org", "Lax"),
        ("ess_device", "</script><script>alert(1)</script>", "Lax"),
        ("ess_device", "court", "Lax"),
        ("ess device", "a" * 32, "Lax"),
        ("ess_device\n", "a" * 32, "Lax"),
        ("ess_device;Domain=example.org", "a" * 32, "Lax"),
        ("ess_device_" + "x" * 80, "a" * 32, "Lax"),
        ("ess_device", "a" * 32 + "\n", "Lax"),
        ("ess_device", "a" * 32, "None"),
    ],
)
def test_anything_but_our_own_names_and_values_is_refused(name: str, value: str, same_site: str) -> None:
    with pytest.raises(ValueError, match="refused cookie"):
        write_cookie(name, value, days=1, same_site=same_site)


def test_a_phone_keeps_one_cookie_per_edition_under_a_name_the_writer_accepts() -> None:
    names = [cookie_name(slug) for slug in ("pays-de-la-loire-2016", "centre-val-de-loire-2022", "a" * 60)]
    assert len(set(names)) == 3
    assert all(COOKIE_NAME_RE.fullmatch(name) for name in names)
