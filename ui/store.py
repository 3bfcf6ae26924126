"""How pages reach the services: one engine per process, a session per call, short-lived caches."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Concatenate, ParamSpec, TypeVar, cast

import streamlit as st
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlmodel import Session

from core.config import get_settings
from db.engine import get_engine, session_scope
from services import reference, semantics

P = ParamSpec("P")
T = TypeVar("T")
log = logging.getLogger(__name__)

# Faults of the store itself, not of the request: disk full or read-only, database server stopped or
# restarting, every pooled connection busy. The transaction was rolled back, so nothing is half-written
# and the same action can simply be tried again.
STORAGE_ERRORS = (OperationalError, InterfaceError, PoolTimeoutError)
WRITE_FAILED = (
    "L'enregistrement est momentanément impossible (incident technique) : rien n'a été enregistré et votre "
    "saisie est conservée. Réessayez dans un instant."
)
# The contribution form's message when a save fails for a technical reason (here, not in the page module,
# so tests can import it without running the page).
CONTRIBUTION_NOT_SAVED = (
    "Votre contribution n'a pas pu être enregistrée (incident technique). Votre texte est conservé : "
    "réessayez dans un instant, elle ne sera jamais comptée deux fois."
)
UNAVAILABLE = (
    "Le service est momentanément indisponible (incident technique). Ce que vous avez envoyé et dont vous "
    "avez reçu la confirmation est conservé ; ce que vous étiez en train d'écrire aussi. Réessayez dans un instant."
)


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    return get_engine(url)


def engine() -> Engine:
    return _engine(get_settings().database_url)


@st.cache_resource(show_spinner=False)
def _vectors_ahead(url: str) -> bool:
    return semantics.start_in_background(_engine(url))


def start_background_work() -> None:
    """Once per process and store: the thread that computes contributions' sentence vectors ahead."""
    settings = get_settings()
    if settings.embed_in_background:
        _vectors_ahead(settings.database_url)


# A service takes its session first, so these signatures let mypy check every call's other arguments. The
# session is still passed by name, as services are called everywhere else (and as test doubles expect).
Service = Callable[Concatenate[Session, P], T]


def _call(fn: Service[P, T], session: Session, *args: P.args, **kwargs: P.kwargs) -> T:
    return cast("Callable[..., T]", fn)(*args, session=session, **kwargs)


def read(fn: Service[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a read-only service function in its own session."""
    with session_scope(engine()) as session:
        return _call(fn, session, *args, **kwargs)


def write(fn: Service[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a service function that writes; it is committed when this returns."""
    with session_scope(engine(), write=True) as session:
        return _call(fn, session, *args, **kwargs)


# Reference data is the same for every user: safe in the shared cache. A short TTL keeps
# several app processes in step after an admin edit (a local clear only reaches this one).
# Keyed by edition: every edition has its own themes and figures.
@st.cache_data(ttl=60, max_entries=16, show_spinner=False)
def themes(edition_id: int | None = None) -> list[reference.ThemeInfo]:
    return read(reference.list_themes, edition_id=edition_id)


@st.cache_data(ttl=60, max_entries=16, show_spinner=False)
def key_figures(edition_id: int | None = None) -> list[reference.FigureInfo]:
    return read(reference.list_key_figures, edition_id=edition_id)


@st.cache_data(ttl=60, max_entries=16, show_spinner=False)
def departements(edition_id: int | None = None) -> list[tuple[str, str]]:
    """The edition's départements as (code, name), « hors région » last: every form's « À propos de vous »."""
    return read(reference.list_departements, edition_id=edition_id)


# A theme's orientations as the contribution form lists them: staff mark them presented during the plenary, so
# the TTL is short (a new one is offered on every phone within seconds); the vote's ballot is never cached (a
# closed vote must show closed at the next run). One read per theme every few seconds instead of one per tap.
@st.cache_data(ttl=10, max_entries=64, show_spinner=False)
def orientation_infos(theme_id: int, edition_id: int) -> list[reference.OrientationInfo]:
    return read(reference.list_orientation_infos, theme_id=theme_id, edition_id=edition_id)


def clear_shared_caches() -> None:
    """After an edit of reference data, so this process shows it at once."""
    themes.clear()
    orientation_infos.clear()
    key_figures.clear()
    departements.clear()


def write_or_report(fn: Service[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T | None:
    """`write`, showing each French validation message instead of raising; None when refused (ui.forms.report)."""
    from ui import forms  # noqa: PLC0415  (ui.forms builds on this module: imported here, not at the top)

    return forms.report(fn, *args, **kwargs)


@contextmanager
def storage_faults_reported(*, retry: bool = True, retry_key: str = "store_unavailable_retry") -> Iterator[None]:
    """Around a whole page run: a store that cannot be reached gives a French message and a retry, not a trace.

    Widget values live in session state, so whatever the user was typing is drawn again on the next run.
    Also a decorator for the self-refreshing fragments (`retry=False`: their next refresh is the retry,
    and a fragment's rerun does not pass through app.py's guard). `retry_key` tells apart a fragment's retry
    button from the page's.
    """
    try:
        yield
    except STORAGE_ERRORS as exc:
        log.error("store unavailable: %s", exc)
        st.error(UNAVAILABLE, icon=":material/cloud_off:")
        if retry:
            st.button("Réessayer", key=retry_key, type="primary", icon=":material/refresh:")
