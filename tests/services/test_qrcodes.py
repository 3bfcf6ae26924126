"""The join page's QR code and address: the image encodes the page URL, the address reads as typed."""

from __future__ import annotations

import io
from typing import cast

import pytest
import segno
from PIL import Image

from services.qrcodes import edition_base_url, page_url, qr_png, short_address, stand_url


@pytest.mark.parametrize(
    ("base", "path", "expected"),
    [
        ("https://ess.example.fr", "contribuer", "https://ess.example.fr/contribuer"),
        ("https://ess.example.fr/", "/contribuer/", "https://ess.example.fr/contribuer"),
        ("http://localhost:8501", "", "http://localhost:8501"),
    ],
)
def test_page_url(base: str, path: str, expected: str) -> None:
    assert page_url(base, path) == expected


def test_page_url_with_a_query() -> None:
    assert (
        page_url("https://ess.example.fr", "contribuer", stand="S04") == "https://ess.example.fr/contribuer?stand=S04"
    )


def test_the_addresses_of_qr_codes_name_their_edition() -> None:
    base = edition_base_url("", "https://ess.example.fr/")
    assert page_url(base, "contribuer", edition="centre-val-de-loire-2022") == (
        "https://ess.example.fr/contribuer?edition=centre-val-de-loire-2022"
    )
    assert stand_url(base, "S01", "centre-val-de-loire-2022") == (
        "https://ess.example.fr/stand?code=S01&edition=centre-val-de-loire-2022"
    )
    # An edition served from its own address prints that one.
    own = edition_base_url("https://ess-centre.example.fr", "https://ess.example.fr/")
    assert stand_url(own, "S01", "centre-val-de-loire-2022").startswith("https://ess-centre.example.fr/stand?code=S01&")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.ess-paysdelaloire.fr/contribuer", "ess-paysdelaloire.fr/contribuer"),
        ("http://localhost:8501/contribuer/", "localhost:8501/contribuer"),
        ("https://ess.example.fr", "ess.example.fr"),
        ("https://ess.example.fr/contribuer?stand=S04", "ess.example.fr/contribuer?stand=S04"),
    ],
)
def test_short_address_is_what_people_type(url: str, expected: str) -> None:
    assert short_address(url) == expected


def test_the_png_holds_exactly_the_qr_code_of_the_url() -> None:
    url = "https://ess.example.fr/contribuer"
    scale, border = 7, 2
    image = Image.open(io.BytesIO(qr_png(url, scale=scale, border=border))).convert("L")
    matrix = segno.make(url, error="m", micro=False).matrix
    size = len(matrix) + 2 * border
    assert image.size == (size * scale, size * scale)
    # Read every module back from the centre of its square: dark where segno's matrix is dark.
    read = [
        [
            # A greyscale ("L") image holds one int per pixel, which Pillow's union return type does not say.
            cast(int, image.getpixel(((border + x) * scale + scale // 2, (border + y) * scale + scale // 2))) < 128
            for x in range(len(row))
        ]
        for y, row in enumerate(matrix)
    ]
    assert read == [[bool(v) for v in row] for row in matrix]
    # The quiet zone is white.
    assert image.getpixel((0, 0)) == 255
