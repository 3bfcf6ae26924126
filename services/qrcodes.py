"""QR codes and addresses people type by hand: the projector's join page, and later the stands' posters."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import segno


def page_url(base_url: str, url_path: str, **query: str) -> str:
    """The public address of a page: `base_url` + its slug (+ query), e.g. https://ess.example/contribuer."""
    url = f"{base_url.rstrip('/')}/{url_path.strip('/')}" if url_path else base_url.rstrip("/")
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def short_address(url: str) -> str:
    """What to say or type: no scheme, no 'www.', no trailing slash ('ess.example/contribuer')."""
    parts = urlsplit(url)
    host = parts.netloc.removeprefix("www.")
    path = parts.path.rstrip("/")
    return f"{host}{path}" + (f"?{parts.query}" if parts.query else "")


def qr_png(data: str, *, scale: int = 12, border: int = 2) -> bytes:
    """A PNG QR code for `data`, black on white (what every phone camera reads, even from a projector)."""
    # Error correction M: survives a glare or a dirty screen and keeps the modules large.
    code = segno.make(data, error="m", micro=False)
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=scale, border=border, dark="#000000", light="#ffffff")
    return buffer.getvalue()
