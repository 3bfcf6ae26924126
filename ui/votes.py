"""The adequacy check on a participant's phone: one card per proposed orientation, four answers, one tap each.

Each tap is saved at once, in the button's callback (there is no submit button to forget), through
services.votes.cast_vote with this phone's device token. The stance shown on a card is always the stored one
(services.votes.my_votes, read once per run by the page), so it survives a reload, a new session and a flaky
reconnect: a tap sent twice stores it once (the service ignores a repeated stance).

A refusal (vote closed, address over its ceiling, store unreachable) is kept in session_state by the callback
and shown on the card in the next run, in French. A closed vote shows the orientation's results only.

Every text of an orientation is typed by staff: drawn with st.text, never as Markdown.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import streamlit as st

from core.config import get_settings
from services import verdict, votes
from services.contributions import BODY_MAX_CHARS, BODY_MIN_CHARS, RateLimit
from services.exports import md_escape
from services.formatting import format_number, format_percent
from services.labels import VOTE_CHOICE_LABELS
from services.votes import CHOICES, BallotItem
from ui import forms, participant, store
from ui.circuit import theme_band

CSS_FILE = Path(__file__).resolve().parents[1] / "assets" / "css" / "votes.css"
# A longer text is cut on the card (a phone's screen holds the card and its four answers), the rest one tap away.
BODY_PREVIEW_CHARS = 130

CLOSED = "Le vote est clos"
NOT_SAVED = (
    "Votre avis n'a pas pu être enregistré (incident technique) : rien n'a été compté. "
    "Touchez de nouveau votre réponse dans un instant."
)
WHY_NOT_SAVED = (
    "Votre explication n'a pas pu être enregistrée (incident technique). Votre texte est conservé : "
    "réessayez dans un instant, elle ne sera jamais comptée deux fois."
)
HONEST_RESULTS = (
    "Un avis compte par téléphone (par navigateur) : une personne qui efface ses cookies et vote de nouveau "
    "compte deux fois. Les bulletins papier sont inclus."
)
# A tap not saved: the vote closed, the orientation dropped or the edition archived (invalid, our own sentences);
# the venue's address over its ceiling (any other refusal: try again soon); the store failing (nothing written,
# the buttons stay).
TAP = forms.Saving(NOT_SAVED)
TAP_NOTES = {"invalid": "refused", "failed": "error"}  # any other: "held"
WHY = forms.Saving(WHY_NOT_SAVED)
CHOICE_ICONS: dict[str, str] = {
    "agree": ":material/thumb_up:",
    "reservations": ":material/thumbs_up_down:",
    "disagree": ":material/thumb_down:",
    "skip": ":material/skip_next:",
}

# What a page gives a card to do once a tap is saved (move to the next card): called as on_saved(orientation_id).
OnSaved = Callable[[int], None]


def inject_css() -> None:
    """Large tap targets and a heading-sized title for the cards (our own constant file: no user text in it)."""
    st.html(f"<style>{CSS_FILE.read_text(encoding='utf-8')}</style>")


def choice_label(choice: str | None) -> str:
    return VOTE_CHOICE_LABELS.get(choice or "", "Pas encore d'avis")


def my_stances(edition_id: int) -> dict[int, str]:
    """This phone's stored stances in the edition: orientation id → choice (read once per run by the page)."""
    return store.read(votes.my_votes, device_token=participant.device_token(), edition_id=edition_id)


def ballot(edition_id: int, theme_id: int | None = None) -> list[BallotItem]:
    """The orientations put to the vote, with whether each one's vote is open now (never cached: a closed
    vote must show as closed at the next run)."""
    return store.read(votes.ballot, edition_id=edition_id, theme_id=theme_id)


def results(edition_id: int, theme_ids: Iterable[int]) -> dict[int, verdict.Verdict]:
    """The room's counts on these themes' orientations (read from the rollups), by orientation id."""
    filters = verdict.VerdictFilter(theme_ids=tuple(sorted(set(theme_ids))))
    rows = store.read(verdict.verdicts, filters=filters, edition_id=edition_id)
    return {v.orientation_id: v for v in rows}


def _note_key(key: str, orientation_id: int) -> str:
    return f"{key}_note_{orientation_id}"


def saved_key(key: str) -> str:
    """Where the last saved tap of this page is kept, for the confirmation line of the next run."""
    return f"{key}_last_saved"


def _tap(
    item: BallotItem,
    choice: str,
    *,
    origin: str,
    stand_code: str | None,
    edition_id: int,
    key: str,
    on_saved: OnSaved | None,
) -> None:
    """Button callback: store the stance on `item` now; a refusal is kept for the next run, in French."""
    note = _note_key(key, item.id)
    saved = TAP.attempt(
        votes.cast_vote,
        device_token=participant.device_token(),
        orientation_id=item.id,
        choice=choice,
        origin=origin,
        stand_code=stand_code,
        throttle_origin=participant.origin(),
        edition_id=edition_id,
    )
    if isinstance(saved, forms.Failure):
        st.session_state[note] = (TAP_NOTES.get(saved.kind, "held"), saved.message)
        return
    st.session_state.pop(note, None)
    st.session_state[saved_key(key)] = (item.code, choice)
    if on_saved is not None:
        on_saved(item.id)


def pop_saved(key: str) -> str | None:
    """The confirmation of the tap saved in the previous run (the card has moved on: say it was kept), as
    Markdown: the orientation's code is typed by staff, so it is escaped."""
    last = st.session_state.pop(saved_key(key), None)
    if not last:
        return None
    code, choice = last
    return f":green[:material/check_circle:] {md_escape(code)} : {choice_label(choice)}, enregistré"


def show_saved(key: str) -> None:
    if message := pop_saved(key):
        st.caption(message)


def _why_keys(key: str, orientation_id: int) -> tuple[str, str, str, str]:
    base = f"{key}_why_{orientation_id}"
    return base, f"{base}_idempotency", f"{base}_receipt", f"{base}_error"


def _send_why(orientation_id: int, edition_id: int, key: str) -> None:
    """The optional « pourquoi ? »: a contribution through the usual path; the text stays when it is refused."""
    ss = st.session_state
    text_key, idem_key, receipt_key, error_key = _why_keys(key, orientation_id)
    text = str(ss.get(text_key) or "")
    last = ss.get(receipt_key)
    # The same text sent again (a second tap that left before the first was answered): the same key, so the
    # service hands back the first receipt instead of a second contribution.
    idempotency = last["key"] if last and last["text"] == text.strip() else ss.setdefault(idem_key, uuid.uuid4().hex)
    settings = get_settings()
    receipt = WHY.attempt(
        votes.explain_vote,
        device_token=participant.device_token(),
        orientation_id=orientation_id,
        text=text,
        idempotency_key=idempotency,
        rate_limit=RateLimit(settings.contribution_rate_max, settings.contribution_rate_window_seconds),
        throttle_origin=participant.origin(),
        edition_id=edition_id,
    )
    # Refused (its own rule on length, too many contributions from this phone, the address over its ceiling) or
    # not stored: said under the text, which stays.
    if isinstance(receipt, forms.Failure):
        ss[error_key] = receipt.message
        return
    ss.pop(error_key, None)
    ss[receipt_key] = {"code": receipt.receipt_code, "text": text.strip(), "key": idempotency}
    ss[text_key] = ""
    # Renewed only now: until a save succeeds, every retry carries the same key.
    ss[idem_key] = uuid.uuid4().hex


def _why(item: BallotItem, *, key: str, edition_id: int) -> None:
    text_key, idem_key, receipt_key, error_key = _why_keys(key, item.id)
    st.session_state.setdefault(idem_key, uuid.uuid4().hex)
    receipt = st.session_state.get(receipt_key)
    if receipt:
        # The code is of the app's own alphabet: no user text in this line.
        st.success(
            f"Merci : votre explication est enregistrée. Code de reçu : {receipt['code']}", icon=":material/mail:"
        )
    error = st.session_state.get(error_key)
    with st.expander(
        "Dire pourquoi (facultatif)", expanded=bool(error), icon=":material/chat:", key=f"{key}_whybox_{item.id}"
    ):
        st.text_area(
            "Pourquoi ?",
            key=text_key,
            max_chars=BODY_MAX_CHARS,
            height=100,
            placeholder="En quelques mots : ce qui vous fait dire cela.",
            help=f"De {BODY_MIN_CHARS} à {format_number(BODY_MAX_CHARS)} caractères. Votre explication devient "
            "une contribution liée à cette orientation, relue avant d'être publiée.",
        )
        if error:
            st.error(error, icon=":material/error:")  # our own French sentences
        st.button(
            "Envoyer mon explication",
            key=f"{key}_whysend_{item.id}",
            on_click=_send_why,
            args=(item.id, edition_id, key),
            icon=":material/send:",
            width="stretch",
        )


def _results(item: BallotItem, result: verdict.Verdict | None, stance: str | None) -> None:
    st.markdown(f":material/lock: **{CLOSED}**")
    if result is None:
        st.caption("Résultats indisponibles pour le moment.")
        return
    answered = result.answered
    for choice in CHOICES:
        n = int(getattr(result, choice))
        share = format_percent(100 * n / answered) if answered else format_percent(0)
        st.progress(n / answered if answered else 0.0, text=f"{choice_label(choice)} : {format_number(n)} ({share})")
    st.caption(f"{verdict.VERDICT_LABELS[result.kind]} · {format_number(result.weighed_in)} avis exprimés")
    if stance:
        st.caption(f"Votre avis : {choice_label(stance)}")


def _body(item: BallotItem, *, compact: bool) -> None:
    body = item.body.strip()
    if not body:
        return
    if compact:
        with st.expander("Lire l'orientation", icon=":material/description:"):
            st.text(body)
        return
    if len(body) <= BODY_PREVIEW_CHARS:
        st.text(body)
        return
    cut = body[:BODY_PREVIEW_CHARS].rsplit(" ", 1)[0].rstrip(" ,;:")
    st.text(cut + "…")
    with st.expander("Lire la suite", icon=":material/unfold_more:"):
        st.text(body)


def card(
    item: BallotItem,
    *,
    stance: str | None,
    origin: str,
    key: str,
    edition_id: int,
    stand_code: str | None = None,
    on_saved: OnSaved | None = None,
    result: verdict.Verdict | None = None,
    show_theme: bool = True,
    compact: bool = False,
    allow_why: bool = True,
) -> None:
    """One orientation: its code and title, its text, and either the four answers (open vote) or its results.

    `key` prefixes every widget and session key of the card (a page may draw several cards); `stance` is the
    stored one (my_stances); `result` the room's counts, read by the page when the vote is closed.
    """
    with st.container(border=True, key=f"votecard_{key}_{item.id}"):
        if show_theme:
            theme_band(item.theme_color, item.theme_short_label)
        with st.container(key=f"votetitle_{key}_{item.id}"):
            st.text(f"{item.code} · {item.title}")
        _body(item, compact=compact)
        note = st.session_state.pop(_note_key(key, item.id), None)
        if note:
            kind, message = note
            if kind == "error":
                st.error(message, icon=":material/error:")
            else:
                st.warning(message, icon=":material/hourglass_top:" if kind == "held" else ":material/block:")
        if not item.open:
            _results(item, result, stance)
            return
        for choice in CHOICES:
            chosen = choice == stance
            st.button(
                choice_label(choice),
                key=f"{key}_{item.id}_{choice}",
                type="primary" if chosen else "secondary",
                icon=":material/check:" if chosen else CHOICE_ICONS[choice],
                width="stretch",
                on_click=_tap,
                args=(item, choice),
                kwargs={
                    "origin": origin,
                    "stand_code": stand_code,
                    "edition_id": edition_id,
                    "key": key,
                    "on_saved": on_saved,
                },
            )
        if stance:
            st.markdown(f":green[:material/check_circle:] Votre avis : **{choice_label(stance)}**")
            if allow_why:
                _why(item, key=key, edition_id=edition_id)


def theme_cards(
    items: Sequence[BallotItem],
    *,
    origin: str,
    key: str,
    edition_id: int,
    stand_code: str | None = None,
    **options: Any,
) -> None:
    """Every card of a theme one under the other (a stand's page): stances read once, results only if closed."""
    stances = my_stances(edition_id)
    closed = [i.theme_id for i in items if not i.open]
    counts = results(edition_id, closed) if closed else {}
    for item in items:
        card(
            item,
            stance=stances.get(item.id),
            origin=origin,
            key=key,
            edition_id=edition_id,
            stand_code=stand_code,
            result=counts.get(item.id),
            **options,
        )


def theme_walk(items: Sequence[BallotItem], *, origin: str, key: str, edition_id: int) -> None:
    """A theme's cards one at a time, those still without a stance only (after a contribution: a short detour);
    once all are given, a link to the « avis » page to review them."""
    open_items = [i for i in items if i.open]
    if not open_items:
        return
    stances = my_stances(edition_id)
    pending = [i for i in open_items if i.id not in stances]
    show_saved(key)
    if not pending:
        st.caption(
            f":green[:material/check_circle:] Vous avez donné votre avis sur les {len(open_items)} orientations "
            "de ce thème."
        )
        st.page_link(
            "app_pages/vote.py",
            label="Revoir ou changer mes avis",
            icon=":material/how_to_vote:",
            query_params={"theme": open_items[0].theme_code},
        )
        return
    done = len(open_items) - len(pending)
    st.caption(f"Orientation {done + 1} sur {len(open_items)} de ce thème · une touche suffit.")
    card(
        pending[0],
        stance=None,
        origin=origin,
        key=key,
        edition_id=edition_id,
        show_theme=False,
        compact=True,
        allow_why=False,
    )
