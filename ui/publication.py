"""Staff's « Publier les résultats » and « Publier la stratégie » switches, with a preview of the public page.

The preview draws exactly what the public page draws (ui.public_results.draw_results), read fresh from the
store rather than from the shared cache, so staff see the state they are about to publish.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from services import open_data, public_results, publication
from services.exports import export_file_name, md_escape
from services.formatting import format_datetime
from services.publication import PublicationState
from ui import public_results as public
from ui import store

K_PREVIEW = "publication_preview"
K_FLASH = "publication_flash"


def _switch(fn: Callable[..., PublicationState], *, actor: str, edition_id: int, message: str) -> None:
    done = store.write_or_report(fn, actor=actor, edition_id=edition_id)
    if done is not None:
        public.clear_cache()
        st.session_state[K_FLASH] = message


def _switch_button(*, actor: str, edition_id: int) -> Callable[..., None]:
    """A button of the panel that flips one switch (`fn`) and says so with `message` on the next run."""

    def draw(
        where: DeltaGenerator,
        label: str,
        key: str,
        icon: str,
        fn: Callable[..., PublicationState],
        message: str,
        *,
        primary: bool = False,
    ) -> None:
        where.button(
            label,
            key=f"publication_{key}",
            type="primary" if primary else "secondary",
            icon=icon,
            on_click=_switch,
            args=(fn,),
            kwargs={"actor": actor, "edition_id": edition_id, "message": message},
        )

    return draw


def _status(state: PublicationState) -> None:
    if state.results and state.results_published_at is not None:
        st.success(
            f"Résultats publics depuis le {format_datetime(state.results_published_at)} "
            f"(publiés par {md_escape(state.results_published_by or '')}).",
            icon=":material/public:",
        )
    else:
        st.info("Les résultats ne sont pas publics : la page « Résultats » l'annonce aux visiteurs.")
    if state.strategy and state.strategy_published_at is not None:
        st.success(
            f"Stratégie publique depuis le {format_datetime(state.strategy_published_at)} "
            f"(publiée par {md_escape(state.strategy_published_by or '')}).",
            icon=":material/public:",
        )


def publication_panel(*, actor: str, edition_id: int, slug: str) -> None:
    """The edition's publication switches and the preview of the public page."""
    st.subheader("Publication des résultats", anchor=False)
    st.caption(
        "La page publique « Résultats » (sans connexion) montre, une fois les résultats publiés, les chiffres de "
        "participation, les orientations avec l'avis des participants et les contributions publiées qui les "
        "appuient, ainsi que les données ouvertes ; la stratégie et ses sources s'y ajoutent une fois publiée. "
        "Seuls les textes publiés par la modération, données personnelles masquées, y apparaissent."
    )
    flash = st.session_state.pop(K_FLASH, None)
    if isinstance(flash, str):
        st.toast(flash, icon=":material/check_circle:")
    state = store.read(publication.publication_state, edition_id=edition_id)
    _status(state)
    left, right = st.columns(2)
    switch = _switch_button(actor=actor, edition_id=edition_id)
    if not state.results:
        switch(left, "Publier les résultats", "results_on", ":material/public:", publication.publish_results,
               "Résultats publiés.", primary=True)  # fmt: skip
    else:
        switch(left, "Retirer les résultats", "results_off", ":material/public_off:", publication.unpublish_results,
               "Résultats retirés du public.")  # fmt: skip
        if not state.strategy:
            switch(right, "Publier la stratégie", "strategy_on", ":material/article:", publication.publish_strategy,
                   "Stratégie publiée.", primary=True)  # fmt: skip
        else:
            switch(right, "Retirer la stratégie", "strategy_off", ":material/unpublished:",
                   publication.unpublish_strategy, "Stratégie retirée du public.")  # fmt: skip
    if st.toggle("Aperçu de la page publique", key=K_PREVIEW):
        with st.container(border=True):
            st.caption("Aperçu : exactement ce que les visiteurs verront (ou voient) sur la page « Résultats ».")
            results = store.read(public_results.build_public_results, edition_id=edition_id)
            public.draw_results(results)
            st.download_button(
                "Télécharger les données ouvertes (zip)",
                open_data.open_data_zip(results, now=datetime.now(UTC)),
                file_name=export_file_name("resultats-donnees-ouvertes-apercu", slug, "zip", now=datetime.now(UTC)),
                mime=public.ZIP,
                key="publication_preview_zip",
                on_click="ignore",
                icon=":material/download:",
            )
