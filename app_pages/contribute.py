"""Contribuer: a participant's idea for the strategy, from a phone, in under a minute, never lost.

Everything a user typed is drawn with st.text or as a widget's own value, never as Markdown.
The form is plain widgets (no st.form) so the orientations follow the chosen theme and similar
contributions appear while the text is typed, after a short pause (a fragment under the text area,
ui/components/typing.py); sending happens in a button callback,
which is also where the fields may be cleared after a successful save. Every field keeps its value
for the whole session (persist_state="session"): a participant who opens « Mes contributions » in
mid-sentence finds the draft intact, and the theme and « À propos de vous » outlive the receipt screen.
"""

import uuid
from typing import Any, Final

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core.config import get_settings
from services import contributions, notices
from services.contributions import (
    BODY_MAX_CHARS,
    BODY_MIN_CHARS,
    NAME_MAX_CHARS,
    ORGANISATION_MAX_CHARS,
    TITLE_MAX_CHARS,
    ContributionDraft,
    RateLimit,
)
from services.formatting import format_datetime, format_number
from services.labels import DISPLAY_MODE_LABELS, SOURCE_LABELS, STANCE_LABELS
from services.scope import ARCHIVED, NOT_OPEN
from services.votes import VoteOrigin
from ui import edition, forms, participant, store
from ui import votes as vote_cards
from ui.components import about_you, similar, typing
from ui.fragments import interactive_fragment

# Session keys of this page, all prefixed.
KEY = "contribute"
K_THEME = "contribute_theme"
K_ORIENTATION = "contribute_orientation"
K_STANCE = "contribute_stance"
K_BODY = "contribute_body"
K_TITLE = "contribute_title"
K_ACTOR = "contribute_actor"
K_DEPT = "contribute_departement"
K_NAME = "contribute_name"
K_ORG = "contribute_organisation"
K_DISPLAY = "contribute_display"
K_IDEMPOTENCY = "contribute_idempotency_key"
K_ERRORS = "contribute_errors"
K_RECEIPT = "contribute_receipt"
K_STAND = "contribute_stand"
K_SUPPORT_NOTE = similar.note_key(KEY)
K_LAST_SENT = "contribute_last_sent"
K_TYPING = "contribute_typing"  # + the form's idempotency key: a fresh listener for each new contribution
# After this pause in the typing, the suggestions follow the text (measured: ~0,2 s between a phone's keys).
TYPING_PAUSE_MS = 600

# "Nothing chosen" options: a None option would show Streamlit's own (English) placeholder instead.
NO_ORIENTATION = 0
UNSAID = ""

# Fields whose message is drawn next to their widget; any other message goes next to the button.
FIELD_ERRORS = {"theme_id", "orientation_id", "stance", "body", "title", "author_name", "organisation"}
ABOUT_YOU_ERRORS = {"actor_type", "departement", "display_mode", "author_name", "organisation"}
TECHNICAL_ERROR = store.CONTRIBUTION_NOT_SAVED
# The form's messages. Any failure of a save is said in French, the text kept: never a trace on a phone.
FORM = forms.Form(K_ERRORS, forms.Saving(TECHNICAL_ERROR, unexpected=True))
PERSIST: Final = "session"  # every field keeps its value for the whole session (see the module's docstring)
NOT_SENT = "Votre contribution n'est pas partie : corrigez le point signalé plus haut."
THEME_FORGETS = ("theme_id", "orientation_id")  # a new theme: its orientation's message goes too
# Who writes, if they wish: label, widget key, field, longest accepted, what the browser may fill it with.
WHO = (
    ("Votre nom", K_NAME, "author_name", NAME_MAX_CHARS, "name"),
    ("Votre organisation", K_ORG, "organisation", ORGANISATION_MAX_CHARS, "organization"),
)


def _stand() -> contributions.StandContext | None:
    """The stand whose QR code opened this form (?stand=CODE), looked up once per code and session."""
    code = st.query_params.get("stand")
    if not code:
        return None
    edition_id = edition.edition_id()
    cached = st.session_state.get(K_STAND)
    # Stand codes repeat from one edition to the next: the lookup is the edition's.
    if not cached or cached.get("code_asked") != code or cached.get("edition_id") != edition_id:
        found = store.read(contributions.find_open_stand, code=code, edition_id=edition_id)
        cached = {"code_asked": code, "edition_id": edition_id, "stand": None}
        if found is not None:
            cached["stand"] = {"id": found.id, "code": found.code, "name": found.name, "theme_id": found.theme_id}
            # Opened from a stand: its theme is chosen already (the participant can still change it).
            if st.session_state.get(K_THEME) is None:
                st.session_state[K_THEME] = found.theme_id
        st.session_state[K_STAND] = cached
    stand = cached.get("stand")
    return contributions.StandContext(**stand) if stand else None


def _draft() -> ContributionDraft:
    ss = st.session_state
    stand = _stand()
    orientation_id = ss.get(K_ORIENTATION) or None
    return ContributionDraft(
        theme_id=ss.get(K_THEME),
        body=ss.get(K_BODY) or "",
        title=ss.get(K_TITLE) or "",
        orientation_id=orientation_id,
        stance=ss.get(K_STANCE) if orientation_id is not None else None,
        source="treasure_hunt" if stand else "conference",
        stand_id=stand.id if stand else None,
        actor_type=ss.get(K_ACTOR) or None,
        departement=ss.get(K_DEPT) or None,
        author_name=ss.get(K_NAME) or "",
        organisation=ss.get(K_ORG) or "",
        display_mode=ss.get(K_DISPLAY) or "anonymous",
        idempotency_key=ss[K_IDEMPOTENCY],
    )


def _send() -> None:
    """Button callback: store, then (and only then) show the receipt and empty the text fields."""
    ss = st.session_state
    if ss.get(K_RECEIPT):
        # A second tap that reached the server after the first was saved (measured: taps 100-200 ms apart
        # both arrive). It carries the browser's state from before the save, text included: ignore it.
        return
    settings = get_settings()
    # The same contribution sent again (this form's key, or its text from a new form) is recognised by the
    # service, which answers with the first receipt.
    draft = _draft()
    # Every refusal becomes the form's French messages; anything unexpected says TECHNICAL_ERROR (text kept).
    receipt = FORM.submit(
        contributions.submit_from_device,
        device_token=participant.device_token(),
        draft=draft,
        rate_limit=RateLimit(settings.contribution_rate_max, settings.contribution_rate_window_seconds),
        origin=participant.origin(),
        edition_id=edition.edition_id(),
    )
    if receipt is None:
        return
    ss[K_LAST_SENT] = {
        # What the next contribution starts from (see _new_contribution).
        "kept": {
            K_THEME: draft.theme_id,
            K_ACTOR: draft.actor_type or UNSAID,
            K_DEPT: draft.departement or UNSAID,
            K_NAME: draft.author_name,
            K_ORG: draft.organisation,
            K_DISPLAY: draft.display_mode,
        },
    }
    ss[K_RECEIPT] = {
        "code": receipt.receipt_code,
        "created_at": receipt.created_at,
        "duplicate": receipt.duplicate,
        "body": draft.body.strip(),
        "source": draft.source,
        "theme_id": draft.theme_id,
    }
    _empty_text_fields()
    ss[K_ERRORS] = {}
    ss.pop(K_SUPPORT_NOTE, None)
    # Renewed only now: until a save succeeds, every retry or double tap carries the same key.
    ss[K_IDEMPOTENCY] = uuid.uuid4().hex


def _empty_text_fields() -> None:
    """The text fields start empty for the next idea; theme and « À propos de vous » stay, to save typing."""
    ss = st.session_state
    ss[K_BODY] = ""
    ss[K_TITLE] = ""
    ss[K_ORIENTATION] = NO_ORIENTATION
    ss[K_STANCE] = None


def _new_contribution() -> None:
    ss = st.session_state
    ss.pop(K_RECEIPT, None)
    # The theme and « À propos de vous » are set again from the contribution just sent rather than trusted
    # to have survived the receipt screen: under load (benchmark, 30 phones) a theme was seen to be lost there.
    last = ss.get(K_LAST_SENT) or {}
    for key, value in (last.get("kept") or {}).items():
        ss[key] = value
    # Again: a late second tap may have brought the sent text back into the widgets' state.
    _empty_text_fields()


def _render_receipt(receipt: dict[str, Any]) -> None:
    st.success("Contribution enregistrée. Merci !", icon=":material/check_circle:")
    if receipt.get("duplicate"):
        st.info("Elle avait déjà été reçue : voici son reçu, elle n'est comptée qu'une fois.")
    with st.container(border=True):
        # A code of the app's own alphabet (no user text): st.metric shows it large enough to read aloud.
        st.metric("Votre code de reçu", str(receipt["code"]))
        st.caption(
            f"Reçue le {format_datetime(receipt['created_at'])} · {SOURCE_LABELS.get(str(receipt['source']), '')}. "
            "Gardez ce code : il permet de consulter, corriger ou effacer votre contribution."
        )
        st.text(str(receipt["body"]))
    st.button(
        "Écrire une autre contribution",
        type="primary",
        width="stretch",
        on_click=_new_contribution,
        key="contribute_again",
        icon=":material/add:",
    )
    st.page_link("app_pages/my_contributions.py", label="Voir mes contributions", icon=":material/inbox:")
    if receipt.get("source") == "treasure_hunt":
        # Back to the hunt: the passport counts this contribution (and may hold the treasure now).
        st.page_link("app_pages/passport.py", label="Mon passeport de la chasse aux trésors", icon=":material/badge:")
    if receipt.get("theme_id") is not None:
        _render_vote(int(receipt["theme_id"]))


def _render_vote(theme_id: int) -> None:
    """Below the receipt (which stays in sight): the theme's orientations still without this phone's stance."""
    current = edition.active_edition()
    items = vote_cards.ballot(current.id, theme_id)
    if not any(item.open for item in items):
        return
    vote_cards.inject_css()
    with st.container(border=True, key="contribute_vote_walk"):
        st.markdown("**Et les orientations proposées sur ce thème ?**")
        vote_cards.theme_walk(items, origin=VoteOrigin.CONTRIBUTION.value, key="contribute_vote", edition_id=current.id)


def _stand_banner() -> None:
    stand = _stand()
    if stand is not None:
        with st.container(border=True):
            st.caption("Chasse aux trésors · depuis le stand")
            st.text(stand.name)  # typed by staff: shown as text
    elif st.query_params.get("stand"):
        st.info("Ce stand n'est pas reconnu : votre contribution sera comptée avec celles de la conférence.")


def _theme(edition_id: int) -> int | None:
    themes = store.themes(edition_id)
    theme_by_id = {t.id: t for t in themes}
    if st.session_state.get(K_THEME) not in theme_by_id:
        st.session_state[K_THEME] = None  # a theme of another edition visited earlier in this session
    labels = {t.id: t.short_label for t in themes}
    theme_id: int | None = forms.choice(
        st.pills, "Thème *", labels, key=K_THEME, persist_state=PERSIST, on_change=FORM.forget, args=THEME_FORGETS
    )
    if theme_id is not None and theme_id in theme_by_id:
        st.caption(theme_by_id[theme_id].label)
    FORM.show("theme_id")
    return theme_id


def _orientation(theme_id: int, edition_id: int) -> None:
    listed = store.orientation_infos(theme_id, edition_id)
    titles = {o.id: o.title for o in listed if o.presented}
    labels = {NO_ORIENTATION: "Aucune en particulier : une idée nouvelle", **titles}
    if st.session_state.get(K_ORIENTATION) not in titles:
        # The theme changed: its previous orientation no longer applies.
        st.session_state[K_ORIENTATION] = NO_ORIENTATION
    orientation_id = FORM.choice(
        st.selectbox,
        "Orientation proposée concernée (facultatif)",
        labels,
        key=K_ORIENTATION,
        error="orientation_id",
        forget=("orientation_id", "stance"),
        persist_state=PERSIST,
        help="Les orientations présentées en plénière ce matin, pour ce thème.",
    )
    if orientation_id:
        stance = "Votre position sur cette orientation"
        FORM.choice(
            st.pills, stance, STANCE_LABELS, key=K_STANCE, error="stance", forget=("stance",), persist_state=PERSIST
        )


def _body() -> None:
    st.text_area(
        "Votre contribution *",
        key=K_BODY,
        persist_state=PERSIST,
        max_chars=BODY_MAX_CHARS,
        height=140,
        placeholder="Votre constat, votre idée, votre proposition…",
        on_change=FORM.forget,
        args=("body",),
    )


def _counter(body: str) -> None:
    length = len(body.strip())
    counter = f"{format_number(length)} caractère{'s' if length > 1 else ''} · de {BODY_MIN_CHARS} à "
    counter += f"{format_number(BODY_MAX_CHARS)} caractères"
    if 0 < length < BODY_MIN_CHARS:
        counter += f" · encore {BODY_MIN_CHARS - length} au moins"
    st.caption(counter)


@interactive_fragment
def _suggestions(theme_id: int | None) -> None:
    """The text's counter and message, then similar published contributions, for the text as typed so far: a
    pause in the typing reruns this fragment only (ui/components/typing.py), never the page or the text area,
    which keeps what is being typed. The text sent is the text area's own, validated by the server."""
    ss = st.session_state
    typed = typing.typed_text(K_BODY, key=f"{K_TYPING}_{ss[K_IDEMPOTENCY]}", pause_ms=TYPING_PAUSE_MS)
    body = typed if typed is not None else ss.get(K_BODY) or ""
    _counter(body)  # here too, so the count follows the typing
    FORM.show("body")
    similar.similar_contributions(theme_id, body, key=KEY)


def _about_you(edition_id: int) -> None:
    expanded = bool(ABOUT_YOU_ERRORS & set(FORM.errors()))
    with st.expander("À propos de vous (facultatif)", expanded=expanded, icon=":material/person:"):
        about_you.actor_and_departement(
            store.departements(edition_id),
            keys=(K_ACTOR, K_DEPT),
            form=FORM,
            persist_state=PERSIST,
        )
        for label, key, name, limit, autofill in WHO:
            FORM.field(
                st.text_input, label, key=key, error=name, persist_state=PERSIST, max_chars=limit, autocomplete=autofill
            )
        FORM.choice(
            st.radio,
            "Comment apparaître à côté de votre contribution",
            DISPLAY_MODE_LABELS,
            key=K_DISPLAY,
            error="display_mode",
            forget=("display_mode", "author_name", "organisation"),
            persist_state=PERSIST,
        )


def _send_bar(bar: DeltaGenerator) -> None:
    # « Envoyer » is pinned to the bottom of the screen: always within a thumb's reach, and nothing drawn
    # above (suggestions appearing when the text is committed, a message going away) can slide another
    # element under the finger between touchstart and click. Measured: with the button in the flow, a
    # tap in the benchmark landed on a suggestion that had just appeared.
    with bar:
        FORM.show_rest(FIELD_ERRORS | ABOUT_YOU_ERRORS, summary=NOT_SENT)
        st.button(
            "Envoyer ma contribution",
            type="primary",
            width="stretch",
            key="contribute_send",
            on_click=_send,
            icon=":material/send:",
        )


@interactive_fragment
def _form() -> None:
    """The form, or the receipt of what was just sent: a fragment, so that choosing a theme, leaving the text
    area, « Envoyer » and « Écrire une autre contribution » rerun this part only, not the whole app (the menu,
    the staff login, the page's title): what a room of phones asks of one server (bench/bench_gestures.py)."""
    # The send bar's place at the bottom of the screen, taken in every run even when left empty: a fragment
    # can write outside itself only where it wrote in the page's last full run (« Écrire une autre contribution »
    # after a receipt drawn by a full run).
    bar = st.bottom.container()
    receipt = st.session_state.get(K_RECEIPT)
    if receipt:
        _render_receipt(receipt)
        return
    current = edition.active_edition()
    if not current.open:
        # The service refuses it anyway; say so before anything is typed.
        st.info(ARCHIVED if current.archived else NOT_OPEN, icon=":material/event_busy:")
        st.page_link("app_pages/my_contributions.py", label="Mes contributions", icon=":material/inbox:")
        return
    st.session_state.setdefault(K_IDEMPOTENCY, uuid.uuid4().hex)
    _stand_banner()
    theme_id = _theme(current.id)
    if theme_id is not None:
        _orientation(theme_id, current.id)
    _body()
    # Right under the text, where the eyes are while typing.
    _suggestions(theme_id)
    FORM.field(
        st.text_input,
        "Titre court (facultatif)",
        key=K_TITLE,
        error="title",
        forget=("title",),
        persist_state=PERSIST,
        max_chars=TITLE_MAX_CHARS,
    )
    _about_you(current.id)
    st.caption(notices.contribution_notice(current))
    st.page_link("app_pages/my_contributions.py", label="Mes contributions", icon=":material/inbox:")
    _send_bar(bar)


participant.device_token()
st.title("Contribuer")
st.caption(
    "Votre idée pour la stratégie régionale de l'ESS, en moins d'une minute. "
    "Sans compte : rien de personnel n'est demandé."
)
_form()
participant.remember_device()
