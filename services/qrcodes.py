"""QR codes and addresses people type by hand: the projector's join page and the stands' posters.

Every address a QR code holds names its edition (`?edition=<slug>`): landing on it puts the phone's session on
that edition (ui/edition.py), so a stand S01 of one conference never opens the S01 of another.
"""

from __future__ import annotations

import io
import ipaddress
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import segno
from PIL import Image, ImageDraw, ImageFont

from services.errors import ValidationError

_HEX = re.compile(r"#[0-9A-Fa-f]{6}")


def page_url(base_url: str, url_path: str, **query: str) -> str:
    """The public address of a page: `base_url` + its slug (+ query), e.g. https://ess.example/contribuer."""
    url = f"{base_url.rstrip('/')}/{url_path.strip('/')}" if url_path else base_url.rstrip("/")
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def edition_base_url(edition_base_url: str, server_base_url: str) -> str:
    """Where an edition's QR codes point: its own public address when it has one, else the server's."""
    return (edition_base_url or "").strip() or server_base_url


# ---------------------------------------------------------------------------------------------
# A printed QR code is read by phones: an address that only this machine can open (the default
# http://localhost:8501 of ESS_BASE_URL) makes every poster useless, and nobody notices before the day.

EXAMPLE_PUBLIC_URL = "https://conference.region.fr"


def is_local_address(base_url: str) -> bool:
    """True for an address phones cannot reach: localhost, 127.x, ::1, 0.0.0.0 (or no host at all)."""
    host = (urlsplit(base_url.strip()).hostname or "").lower().rstrip(".")
    if not host or host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def local_address_problem(edition_base_url: str, server_base_url: str, *, on_screen: bool = False) -> str | None:
    """Why the posters of this edition cannot be printed (its address or ESS_BASE_URL is local), else None.

    `on_screen`: the same warning for a QR code drawn on a screen (the join page), which stays drawn.
    """
    own = (edition_base_url or "").strip()
    base = own or server_base_url
    if not is_local_address(base):
        return None
    where = (
        "corrigez l'« Adresse publique de l'application (QR codes) » de l'édition (page « Éditions »), par exemple "
        f"{EXAMPLE_PUBLIC_URL}, ou videz-la pour prendre celle du serveur."
        if own
        else f"donnez l'adresse publique du site dans ESS_BASE_URL (par exemple {EXAMPLE_PUBLIC_URL}) puis "
        "relancez l'application."
    )
    subject = "Ce QR code renvoie" if on_screen else "Les affiches renvoient"
    return f"{subject} vers {base.rstrip('/')}, que les téléphones ne peuvent pas joindre : {where}"


def require_phone_reachable(base_url: str) -> None:
    """Refuse to print a QR code that phones cannot open (the rule behind every poster and exported QR code)."""
    problem = local_address_problem("", base_url)
    if problem:
        raise ValidationError({"base_url": problem})


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


# ---------------------------------------------------------------------------------------------
# The stands' posters: one A4 page per stand, drawn with Pillow (already a dependency, through segno's
# PNG writer and Streamlit) rather than a PDF library: a poster is one image per page.

A4_PX = (1240, 1754)  # A4 at 150 dpi
POSTER_DPI = 150
_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
_FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


@dataclass(frozen=True)
class PosterStand:
    code: str
    name: str
    theme_label: str
    theme_color: str
    position: int
    edition: str = ""  # the edition's slug, carried by the QR code


def stand_url(base_url: str, code: str, edition: str = "") -> str:
    """What a stand's QR code holds: the stand page with its code and edition,
    e.g. https://ess.example/stand?code=S01&edition=pays-de-la-loire-2016."""
    return page_url(base_url, "stand", code=code, **({"edition": edition} if edition else {}))


def _font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = _FONT_BOLD if bold else _FONT
    try:
        return ImageFont.truetype(path, size)
    except OSError:
        return ImageFont.load_default(size=size)  # Pillow's own font, when DejaVu is not installed


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: Any, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def stand_poster(stand: PosterStand, base_url: str) -> Image.Image:
    """One A4 poster: theme band, stand name, the QR code, and the address to type if the camera fails."""
    width, height = A4_PX
    page = Image.new("RGB", A4_PX, "white")
    draw = ImageDraw.Draw(page)
    color = stand.theme_color if _HEX.fullmatch(stand.theme_color or "") else "#444444"
    draw.rectangle([0, 0, width, 150], fill=color)
    draw.text((70, 45), f"Chasse aux trésors · stand n° {stand.position}", font=_font(44, bold=True), fill="white")
    y = 210
    draw.text((70, y), stand.theme_label, font=_font(38), fill=color)
    y += 70
    name_font = _font(64, bold=True)
    for line in _wrap(draw, stand.name, name_font, width - 140)[:3]:
        draw.text((70, y), line, font=name_font, fill="black")
        y += 80
    url = stand_url(base_url, stand.code, stand.edition)
    # A whole number of pixels per module: resampling would make some modules thinner than others.
    modules = int(segno.make(url, error="m", micro=False).symbol_size(scale=1, border=2)[0])
    qr = Image.open(io.BytesIO(qr_png(url, scale=max(4, min(900, height - y - 380) // modules), border=2)))
    side = qr.width
    page.paste(qr, ((width - side) // 2, y + 40))
    y += side + 90
    draw.text(
        (width // 2, y),
        "Scannez avec l'appareil photo de votre téléphone, ou tapez :",
        font=_font(34),
        fill="#333333",
        anchor="ma",
    )
    size = 52
    address = short_address(url)
    address_font = _font(size, bold=True)
    while draw.textlength(address, font=address_font) > width - 120 and size > 24:
        size -= 4
        address_font = _font(size, bold=True)
    draw.text((width // 2, y + 70), address, font=address_font, fill="black", anchor="ma")
    draw.rectangle([0, height - 40, width, height], fill=color)
    return page


def stand_poster_png(stand: PosterStand, base_url: str, *, allow_local: bool = False) -> bytes:
    """The stand's QR code alone, as a PNG (for a screen, a badge, a slide).

    A local address is refused (ValidationError) unless `allow_local`: a test whose phone is on this machine.
    """
    if not allow_local:
        require_phone_reachable(base_url)
    return qr_png(stand_url(base_url, stand.code, stand.edition), scale=16, border=2)


def stand_posters_pdf(stands: list[PosterStand], base_url: str, *, allow_local: bool = False) -> bytes:
    """Every stand's A4 poster in one PDF, one page per stand, in circuit order (a local address refused)."""
    if not allow_local:
        require_phone_reachable(base_url)
    if not stands:
        raise ValueError("no stand to print")
    pages = [stand_poster(s, base_url) for s in stands]
    buffer = io.BytesIO()
    pages[0].save(
        buffer, "PDF", resolution=POSTER_DPI, save_all=True, append_images=pages[1:], title="Stands du circuit"
    )
    return buffer.getvalue()
