"""Uploaded files: their size is checked before a single byte of them is read by a page."""

from __future__ import annotations

import streamlit as st

from services.formatting import format_number


def refuse_if_too_big(upload: object, max_bytes: int) -> bool:
    """Show a French message and return True when `upload` is over `max_bytes` (its size is known unread).

    Streamlit's server.maxUploadSize already stops anything above the server's limit; this is the
    page's own, smaller limit, checked on the size the upload reports rather than on its content.
    """
    size = int(getattr(upload, "size", 0) or 0)
    if size <= max_bytes:
        return False
    limit_mb = max_bytes / 1024 / 1024
    limit = format_number(limit_mb, 0 if limit_mb.is_integer() else 1)
    st.error(
        f"Ce fichier pèse {format_number(size / 1024 / 1024, 1)} Mo : {limit} Mo au plus. "
        "Il n'a pas été lu ; envoyez un fichier plus petit.",
        icon=":material/error:",
    )
    return True
