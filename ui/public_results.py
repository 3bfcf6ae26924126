"""The public results, drawn once for the public page (app_pages/public_results.py) and for the staff preview.

The results are the same for every visitor (no login, nothing of the visitor in them): the shared
st.cache_data is right for them, and it is what lets hundreds of visitors open the page at once for one
computation. The cache is keyed by (edition, data version): the version (services.public_results.public_version)
moves with every new contribution, moderation decision, stance, orientation edit and publication switch, so
nothing stale outlives it; the version itself is read at most once per VERSION_TTL_S per process.
Every text people wrote is drawn with st.text (never Markdown or HTML), and only as published and masked.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from services import drafting, open_data, public_results, publication
from services.exports import export_file_name, md_escape
from services.formatting import format_date, format_number
from services.public_results import PublicOrientation, PublicResults
from ui import store

# A visitor sees a change at most this long after it is made; it spares the store one version read per visit.
VERSION_TTL_S = 5
# Editions times versions in flight: a few at most.
MAX_ENTRIES = 8
NOT_YET = (
    "Les résultats de cette édition ne sont pas encore publiés. Ils seront publiés ici par l'équipe "
    "organisatrice après la conférence : revenez bientôt."
)
SUPPORTING_SHOWN = public_results.SUPPORTING_ON_PAGE
ZIP = "application/zip"


@st.cache_data(ttl=VERSION_TTL_S, max_entries=MAX_ENTRIES, show_spinner=False)
def results_published(edition_id: int) -> bool:
    """Whether the edition's results are public (the menu and the page ask it on every run)."""
    return store.read(publication.results_published, edition_id=edition_id)


@st.cache_data(ttl=VERSION_TTL_S, max_entries=MAX_ENTRIES, show_spinner=False)
def _version(edition_id: int) -> tuple[object, ...]:
    return store.read(public_results.public_version, edition_id=edition_id)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _results(edition_id: int, version: tuple[object, ...]) -> PublicResults:
    # Without every published text (only those quoted): each view unpickles this from the cache.
    del version  # part of the cache key only
    return store.read(public_results.build_public_results, edition_id=edition_id, with_texts=False)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _zip(edition_id: int, version: tuple[object, ...]) -> bytes:
    del version  # part of the cache key only
    results = store.read(public_results.build_public_results, edition_id=edition_id)
    return open_data.open_data_zip(results, now=datetime.now(UTC))


def public_results_of(edition_id: int) -> PublicResults:
    """The edition's public results from the shared cache (the same for every visitor)."""
    return _results(edition_id, _version(edition_id))


def open_data_of(edition_id: int) -> bytes:
    return _zip(edition_id, _version(edition_id))


def clear_cache() -> None:
    """After a publication switch, so this process shows it at once."""
    results_published.clear()
    _version.clear()


def _participation(r: PublicResults) -> None:
    st.header("Participation", anchor=False)
    first, second, third = st.columns(3)
    first.metric("Contributions reçues", format_number(r.contributions))
    second.metric("Participants", format_number(r.participants))
    third.metric("Réponses au questionnaire", format_number(r.questionnaire_responses))
    first, second, third = st.columns(3)
    first.metric("Contributions publiées", format_number(r.published_count))
    second.metric("Stands visités", format_number(r.stands_visited))
    third.metric("Visites de stands", format_number(r.stand_visits))
    themes = pd.DataFrame(
        {
            "Thème": [t.label for t in r.by_theme],
            "Contributions reçues": [t.received for t in r.by_theme],
            "Publiées": [t.published for t in r.by_theme],
        }
    )
    st.text("Contributions par thème")
    st.dataframe(themes, hide_index=True, width="stretch")
    origins = pd.DataFrame({"Origine": list(r.by_origin), "Contributions reçues": list(r.by_origin.values())})
    st.text("Contributions par origine")
    st.dataframe(origins, hide_index=True, width="stretch")
    st.caption("Les contributions reçues comptent celles en attente de modération ; les refusées sont exclues.")


def _quotes(texts: list[str], limit: int) -> None:
    for text in texts[:limit]:
        st.text(f"« {text} »")
    if len(texts) > limit:
        st.caption(f"Et {format_number(len(texts) - limit)} autres, dans les données ouvertes ci-dessous.")


def _orientation(o: PublicOrientation, *, strategy: bool) -> None:
    with st.container(border=True):
        st.markdown(f"#### {md_escape(f'{o.code} — {o.title}')}")
        st.caption(f"Statut : {o.status_label}")
        if strategy and o.body:
            st.text(o.body)
        st.text(o.stance_sentence)
        n = sum(o.sources_by_origin.values())
        if strategy:
            origins = ", ".join(f"{k} {format_number(v)}" for k, v in o.sources_by_origin.items())
            count = f"{format_number(n)} contribution" + ("s" if n > 1 else "")
            st.text(f"Sources : {count}" + (f" ({origins})" if origins else ""))
        if o.supporting:
            st.caption(f"Contributions publiées qui l'appuient ({format_number(len(o.supporting))})")
            _quotes(o.supporting, 3 if strategy else SUPPORTING_SHOWN)


def draw_results(r: PublicResults) -> None:
    """The results as the public reads them (no widget: the page and the staff preview draw the same)."""
    st.text(r.edition_name + (f" — {r.region_name}" if r.region_name else ""))
    if r.published_at is not None:
        st.caption(f"Résultats publiés le {format_date(r.published_at)}.")
    _participation(r)
    st.header("La stratégie" if r.strategy_public else "Les orientations et l'avis des participants", anchor=False)
    if r.strategy_public:
        st.caption(
            "Chaque orientation de la stratégie, l'avis des participants et les contributions dont elle est issue "
            "(comptées par origine ; quelques textes publiés cités)."
        )
    else:
        st.caption("La stratégie sera publiée ici une fois adoptée.")
    theme = None
    for o in r.orientations:
        if o.theme_label != theme:
            theme = o.theme_label
            # Typed by staff (reference data): escaped before Markdown sees it, a heading for screen readers.
            st.subheader(md_escape(f"Thème : {theme}"), anchor=False)
        _orientation(o, strategy=r.strategy_public)
    st.caption(
        "Seules les contributions publiées par la modération apparaissent, données personnelles masquées. "
        + drafting.COOKIE_CAVEAT
    )


def offer_open_data(edition_id: int, slug: str) -> None:
    st.header("Données ouvertes", anchor=False)
    st.caption(
        f"Les mêmes résultats en fichiers : CSV (UTF-8, séparateur virgule, et variante point-virgule pour Excel), "
        f"JSON, dictionnaire des données. Licence : {open_data.LICENCE}. Données anonymisées : aucun identifiant, "
        "aucun texte non publié, un nom seulement si son auteur a choisi d'apparaître."
    )
    st.download_button(
        "Télécharger les données ouvertes (zip)",
        # Built (or read from the shared cache) only when a visitor asks for it, on the click's own thread:
        # a page view neither builds the zip nor hands its bytes to this session's media files.
        functools.partial(open_data_of, edition_id),
        file_name=export_file_name("resultats-donnees-ouvertes", slug, "zip", now=datetime.now(UTC)),
        mime=ZIP,
        key="public_results_zip",
        on_click="ignore",
        icon=":material/download:",
    )
