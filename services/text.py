"""Checks and normalisation shared by every place a user can type text."""

from __future__ import annotations

import unicodedata

# Tab, line feed and carriage return are ordinary in pasted text; other C0/C1 controls are not.
_ALLOWED_CONTROLS = {"\t", "\n", "\r"}


def has_forbidden_characters(value: str) -> bool:
    """True for control characters (other than tab/newlines) and lone surrogates."""
    for ch in value:
        cat = unicodedata.category(ch)
        if cat == "Cc" and ch not in _ALLOWED_CONTROLS:
            return True
        if cat == "Cs":
            return True
    return False


def normalise_newlines(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\r", "\n")


def check_text(
    value: str | None,
    *,
    label: str,
    min_chars: int = 0,
    max_chars: int,
    required: bool = True,
) -> tuple[str, str | None]:
    """Return (cleaned value, French error or None); length is counted in characters after trimming."""
    text = normalise_newlines(value or "").strip()
    if has_forbidden_characters(text):
        return text, f"{label} contient des caractères de contrôle non autorisés ; retirez-les puis renvoyez."
    if not text:
        return text, f"{label} est obligatoire." if required else None
    length = len(text)
    if length < min_chars:
        return text, f"{label} est trop court : {length} caractère(s), {min_chars} au minimum."
    if length > max_chars:
        return text, f"{label} est trop long : {length} caractères, {max_chars} au maximum."
    return text, None


def fold(value: str) -> str:
    """Lower-case and strip accents, for matching (not for display)."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
