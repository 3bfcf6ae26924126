"""Contribuer: a participant's idea for the strategy, from a phone, in under a minute, never lost.

Everything a user typed is drawn with st.text or as a widget's own value, never as Markdown.
The form is plain widgets (no st.form) so the orientations follow the chosen theme and similar
contributions appear as soon as the text is committed; sending happens in a button callback,
which is also where the fields may be cleared after a successful save. Every field keeps its value
for the whole session (persist_state="session"): a participant who opens « Mes contributions » in
mid-sentence finds the draft intact, and the theme and « À propos de vous » outlive the receipt screen.
"""

import logging
import uuid

import streamlit as st

from core.config import get_settings
from models import VoteOrigin
from services import contributions, notices, reference, similar
from services.contributions import (
    BODY_MAX_CHARS,
    BODY_MIN_CHARS,
    NAME_MAX_CHARS,
    ORGANISATION_MAX_CHARS,
    TITLE_MAX_CHARS,
    ContributionDraft,
    RateLimit,
    RateLimitExceeded,
)
from services.errors import ServiceError, ValidationError
from services.formatting import format_datetime, format_number
from services.labels import ACTOR_TYPE_LABELS, DISPLAY_MODE_LABELS, SOURCE_LABELS, STANCE_LABELS
from services.scope import ARCHIVED, NOT_OPEN
from ui import edition, participant, store
from ui import votes as vote_cards

log = logging.getLogger(__name__)

# Session keys of this page, all prefixed.
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
K_SUPPORT_NOTE = "contribute_support_note"
K_LAST_SENT = "contribute_last_sent"

# "Nothing chosen" options: a None option would show Streamlit's own (English) placeholder instead.
NO_ORIENTATION = 0
UNSAID = ""

# Fields whose message is drawn next to their widget; any other message goes next to the button.
FIELD_ERRORS = {"theme_id", "orientation_id", "stance", "body", "title", "author_name", "organisation"}
ABOUT_YOU_ERRORS = {"actor_type", "departement", "display_mode", "author_name", "organisation"}
TECHNICAL_ERROR = store.CONTRIBUTION_NOT_SAVED


def _errors() -> dict[str, str]:
    return st.session_state.get(K_ERRORS) or {}


def _show_error(field: str) -> None:
    if message := _errors().get(field):
        # Our own French messages (no user text inside): Markdown is safe here.
        st.error(message, icon=":material/error:")


def _forget_error(*fields: str) -> None:
    """A field the participant changed no longer shows its old message."""
    errors = dict(_errors())
    for field in fields:
        errors.pop(field, None)
    st.session_state[K_ERRORS] = errors


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
    try:
        receipt = store.write(
            contributions.submit_from_device,
            device_token=participant.device_token(),
            draft=draft,
            rate_limit=RateLimit(settings.contribution_rate_max, settings.contribution_rate_window_seconds),
            origin=participant.origin(),
            edition_id=edition.edition_id(),
        )
    except ValidationError as exc:
        ss[K_ERRORS] = exc.errors
        return
    except (RateLimitExceeded, ServiceError) as exc:
        ss[K_ERRORS] = {"form": exc.message}
        return
    except Exception:
        log.exception("contribution not stored")
        ss[K_ERRORS] = {"form": TECHNICAL_ERROR}
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


def _support(contribution_id: int) -> None:
    try:
        result = store.write(
            contributions.support_contribution,
            device_token=participant.device_token(),
            contribution_id=contribution_id,
            origin=participant.origin(),
            edition_id=edition.edition_id(),
        )
    except ServiceError as exc:
        st.session_state[K_SUPPORT_NOTE] = ("error", exc.message)
        return
    note = "Merci : votre soutien est enregistré." if result.new else "Vous soutenez déjà cette contribution."
    st.session_state[K_SUPPORT_NOTE] = ("ok", note)


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


def _render_receipt(receipt: dict) -> None:
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


def _render_similar(theme_id: int | None, body: str) -> None:
    found = store.read(
        similar.find_similar_contributions,
        theme_id=theme_id,
        text=body,
        device_token=participant.device_token(),
        edition_id=edition.edition_id(),
    )
    note = st.session_state.get(K_SUPPORT_NOTE)
    if not found and not note:
        return
    if found:
        st.markdown("**Des contributions proches existent déjà**")
        st.caption(
            "Si l'une d'elles dit ce que vous vouliez dire, soutenez-la : un soutien compte autant qu'une "
            "contribution de plus. Vous pouvez aussi envoyer la vôtre."
        )
    for item in found:
        with st.container(border=True, key=f"contribute_similar_{item.contribution_id}"):
            if item.title:
                st.text(item.title)
            st.text(item.text if len(item.text) <= 240 else item.text[:240].rstrip() + "…")
            supports = f"{format_number(item.supports)} soutien{'s' if item.supports > 1 else ''}"
            if item.supported_by_me:
                st.caption(f"{supports} · vous la soutenez")
            else:
                st.caption(supports)
                st.button(
                    "Je soutiens celle-ci",
                    key=f"contribute_support_{item.contribution_id}",
                    on_click=_support,
                    args=(item.contribution_id,),
                    icon=":material/thumb_up:",
                )
    if note:
        kind, message = note
        (st.success if kind == "ok" else st.warning)(message)


settings = get_settings()


def _form() -> None:

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
    stand = _stand()
    if stand is not None:
        with st.container(border=True):
            st.caption("Chasse aux trésors · depuis le stand")
            st.text(stand.name)  # typed by staff: shown as text
    elif st.query_params.get("stand"):
        st.info("Ce stand n'est pas reconnu : votre contribution sera comptée avec celles de la conférence.")

    themes = store.themes(current.id)
    theme_by_id = {t.id: t for t in themes}
    if st.session_state.get(K_THEME) not in theme_by_id:
        st.session_state[K_THEME] = None  # a theme of another edition visited earlier in this session
    # format_func: bound dict lookups, not lambdas. AppTest keeps them in session state, which must pickle.
    theme_labels = {t.id: t.short_label for t in themes}
    theme_id = st.pills(
        "Thème *",
        [t.id for t in themes],
        format_func=theme_labels.__getitem__,
        key=K_THEME,
        persist_state="session",
        on_change=_forget_error,
        args=("theme_id", "orientation_id"),
    )
    if theme_id is not None and theme_id in theme_by_id:
        st.caption(theme_by_id[theme_id].label)
    _show_error("theme_id")

    if theme_id is not None:
        orientations = [
            o for o in store.read(reference.list_orientations, theme_id=theme_id, edition_id=current.id) if o.presented
        ]
        titles = {o.id: o.title for o in orientations}
        orientation_labels = {NO_ORIENTATION: "Aucune en particulier : une idée nouvelle", **titles}
        if st.session_state.get(K_ORIENTATION) not in titles:
            st.session_state[K_ORIENTATION] = (
                NO_ORIENTATION  # the theme changed: its previous orientation no longer applies
            )
        orientation_id = st.selectbox(
            "Orientation proposée concernée (facultatif)",
            list(orientation_labels),
            format_func=orientation_labels.__getitem__,
            key=K_ORIENTATION,
            persist_state="session",
            on_change=_forget_error,
            args=("orientation_id", "stance"),
            help="Les orientations présentées en plénière ce matin, pour ce thème.",
        )
        _show_error("orientation_id")
        if orientation_id:
            st.pills(
                "Votre position sur cette orientation",
                list(STANCE_LABELS),
                format_func=STANCE_LABELS.__getitem__,
                key=K_STANCE,
                persist_state="session",
                on_change=_forget_error,
                args=("stance",),
            )
            _show_error("stance")

    body = st.text_area(
        "Votre contribution *",
        key=K_BODY,
        persist_state="session",
        max_chars=BODY_MAX_CHARS,
        height=140,
        placeholder="Votre constat, votre idée, votre proposition…",
        on_change=_forget_error,
        args=("body",),
    )
    length = len((body or "").strip())
    counter = f"{format_number(length)} caractère{'s' if length > 1 else ''} · de {BODY_MIN_CHARS} à "
    counter += f"{format_number(BODY_MAX_CHARS)} caractères"
    if 0 < length < BODY_MIN_CHARS:
        counter += f" · encore {BODY_MIN_CHARS - length} au moins"
    st.caption(counter)
    _show_error("body")

    # Right under the text, where the eyes are when it is committed.
    _render_similar(theme_id, body or "")

    st.text_input(
        "Titre court (facultatif)",
        key=K_TITLE,
        persist_state="session",
        max_chars=TITLE_MAX_CHARS,
        on_change=_forget_error,
        args=("title",),
    )
    _show_error("title")

    about_errors = bool(ABOUT_YOU_ERRORS & set(_errors()))
    with st.expander("À propos de vous (facultatif)", expanded=about_errors, icon=":material/person:"):
        st.selectbox(
            "Vous êtes",
            [UNSAID, *ACTOR_TYPE_LABELS],
            format_func={UNSAID: "Je préfère ne pas le dire", **ACTOR_TYPE_LABELS}.__getitem__,
            key=K_ACTOR,
            persist_state="session",
        )
        _show_error("actor_type")
        departements = dict(store.read(reference.list_departements, edition_id=current.id))
        departement_labels = {UNSAID: "Je préfère ne pas le dire"}
        departement_labels |= {
            code: name if code == "HORS" else f"{code} · {name}" for code, name in departements.items()
        }
        if st.session_state.get(K_DEPT) not in departement_labels:
            st.session_state[K_DEPT] = UNSAID  # a département of another edition's Région
        st.selectbox(
            "Votre département",
            list(departement_labels),
            format_func=departement_labels.__getitem__,
            key=K_DEPT,
            persist_state="session",
        )
        _show_error("departement")
        st.text_input("Votre nom", key=K_NAME, persist_state="session", max_chars=NAME_MAX_CHARS, autocomplete="name")
        _show_error("author_name")
        st.text_input(
            "Votre organisation",
            key=K_ORG,
            persist_state="session",
            max_chars=ORGANISATION_MAX_CHARS,
            autocomplete="organization",
        )
        _show_error("organisation")
        st.radio(
            "Comment apparaître à côté de votre contribution",
            list(DISPLAY_MODE_LABELS),
            format_func=DISPLAY_MODE_LABELS.__getitem__,
            key=K_DISPLAY,
            persist_state="session",
            on_change=_forget_error,
            args=("display_mode", "author_name", "organisation"),
        )
        _show_error("display_mode")

    st.caption(notices.contribution_notice(current))

    st.page_link("app_pages/my_contributions.py", label="Mes contributions", icon=":material/inbox:")

    # « Envoyer » is pinned to the bottom of the screen: always within a thumb's reach, and nothing drawn
    # above (suggestions appearing when the text is committed, a message going away) can slide another
    # element under the finger between touchstart and click. Measured: with the button in the flow, a
    # tap in the benchmark landed on a suggestion that had just appeared.
    with st.bottom:
        others = {k: v for k, v in _errors().items() if k not in FIELD_ERRORS | ABOUT_YOU_ERRORS}
        for message in others.values():
            st.error(message, icon=":material/error:")
        if _errors() and not others:
            st.error(
                "Votre contribution n'est pas partie : corrigez le point signalé plus haut.", icon=":material/error:"
            )
        st.button(
            "Envoyer ma contribution",
            type="primary",
            width="stretch",
            key="contribute_send",
            on_click=_send,
            icon=":material/send:",
        )


participant.device_token()
st.title("Contribuer")
st.caption(
    "Votre idée pour la stratégie régionale de l'ESS, en moins d'une minute. "
    "Sans compte : rien de personnel n'est demandé."
)
_form()
participant.remember_device()
