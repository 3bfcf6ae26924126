"""Checks and normalisation shared by every place a user can type text."""

from __future__ import annotations

import re
import unicodedata

# Unicode category Cc (U+0000–U+001F, U+007F–U+009F) less tab, line feed and carriage return, which are
# ordinary in pasted text; and category Cs, lone surrogates. One regex scan instead of a Python loop per
# character: the questionnaire import checks tens of thousands of answers.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# Format characters (zero-width space and joiners, BOM, bidi marks) and separators: invisible on their own.
_INVISIBLE = frozenset({"Cf", "Zs", "Zl", "Zp", "Cc"})


def has_forbidden_characters(value: str) -> bool:
    """True for control characters (other than tab/newlines) and lone surrogates."""
    return _FORBIDDEN.search(value) is not None


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
    if text and all(unicodedata.category(ch) in _INVISIBLE for ch in text):
        text = ""  # only zero-width or format characters: nothing anyone could read
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
