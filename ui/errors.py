"""The last guard of every page run: an unexpected error gives a French message, never a trace."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from streamlit.errors import FragmentHandledException

from services.errors import PermissionDenied

log = logging.getLogger(__name__)

UNEXPECTED = (
    "Une erreur inattendue empêche d'afficher cette page. Ce que vous aviez déjà envoyé est conservé. "
    "Réessayez dans un instant ; si cela se reproduit, signalez-le à l'accueil."
)


@contextmanager
def unexpected_errors_reported() -> Iterator[None]:
    """Log the full trace for us; show the user one French sentence (client.showErrorDetails is off too).

    Streamlit's own st.stop/st.rerun/st.switch_page signals derive from BaseException and pass through.
    """
    try:
        yield
    except FragmentHandledException:
        # Raised by st.fragment once its own error is shown in its place (ui/fragments.py): said once, not twice.
        raise
    except PermissionDenied as exc:
        # A service refused: the account lost its right since the page was drawn (see services.permissions).
        log.warning("permission denied while running a page: %s", exc)
        st.error(exc.message, icon=":material/lock:")
    except Exception:
        log.exception("unexpected error while running a page")
        st.error(UNEXPECTED, icon=":material/error:")
