"""Questionnaire aux acteurs: answered online without an account, section by section, resumable, then sent.

The questionnaire is the session's edition's (ui.edition: the edition its QR code or URL names); a resume
code opens only a draft of that edition's questionnaire. Its texts (description, sections, questions) come
from the edition's pack: drawn escaped, never as Markdown.

Every "Suivant" checks the section and saves a draft on the server: the resume code shown then lets
the actor come back later, on another device. Widget values persist for the whole session
(persist_state), so going back and forth between sections never loses what was typed, and a refused
section keeps its answers next to their messages. Nothing typed by an actor is drawn as Markdown.
"""

from datetime import UTC, datetime
from typing import Any

import streamlit as st

from services import notices, reference
from services import questionnaires as qs
from services.errors import NotFoundError
from services.exports import md_escape
from services.formatting import format_datetime, format_number
from services.labels import ACTOR_TYPE_LABELS
from ui import edition, forms, participant, store
from ui.components import about_you
from ui.scrolling import scroll_to_top_on_step

K_STEP = "qn_step"  # -1: welcome; 0..n-1: sections; n: "about you" and send
K_CODE = "qn_resume_code"
K_ERRORS = "qn_errors"
K_RECEIPT = "qn_receipt"
K_SAVED = "qn_saved_note"
K_RESUME_INPUT = "qn_resume_input"
K_FOR = "qn_questionnaire_id"  # the questionnaire the answers on screen belong to
K_ORG, K_ACTOR, K_DEPT, K_NAME, K_EMAIL = "qn_organisation", "qn_actor", "qn_departement", "qn_name", "qn_email"
NOT_SAID = about_you.NOT_SAID
YESNO_OPTIONS = [qs.YESNO_LABELS[qs.YES], qs.YESNO_LABELS[qs.NO]]
YESNO_VALUES = {label: value for value, label in qs.YESNO_LABELS.items()}
TECHNICAL_ERROR = (
    "Vos réponses n'ont pas pu être enregistrées (incident technique). Elles restent affichées : "
    "réessayez dans un instant."
)
TO_REVIEW = "Certaines réponses sont à revoir : les messages sont à côté des questions."
# Any failure of a save is said in French, the answers kept on screen; the edition's refusal (closed, archived)
# is said at the foot of the form, like any other form-wide one.
FORM = forms.Form(K_ERRORS, forms.Saving(TECHNICAL_ERROR, unexpected=True), form_wide="edition")


def _key(code: str) -> str:
    return f"qn_q_{code}"


def _answer(question: qs.QuestionInfo) -> object:
    """The service's form of a widget's value."""
    value = st.session_state.get(_key(question.code))
    if question.qtype == "yesno" and value is not None:
        return YESNO_VALUES.get(value, value)
    return value


def _answers(questions: list[qs.QuestionInfo]) -> dict[str, object]:
    return {q.code: _answer(q) for q in questions}


def _set_widget(question: qs.QuestionInfo, value: qs.AnswerValue | None) -> None:
    if question.qtype == "yesno" and isinstance(value, str):
        st.session_state[_key(question.code)] = qs.YESNO_LABELS.get(value)
    elif question.qtype == "multiple":
        st.session_state[_key(question.code)] = list(value) if isinstance(value, list) else []
    else:
        st.session_state[_key(question.code)] = value


def _respondent(departements: dict[str, str]) -> qs.Respondent:
    ss = st.session_state
    actor_by_label = {label: value for value, label in ACTOR_TYPE_LABELS.items()}
    dept_by_label = {about_you.departement_label(code, name): code for code, name in departements.items()}
    return qs.Respondent(
        organisation=ss.get(K_ORG) or "",
        actor_type=actor_by_label.get(ss.get(K_ACTOR) or ""),
        departement=dept_by_label.get(ss.get(K_DEPT) or ""),
        respondent_name=ss.get(K_NAME) or "",
        email=ss.get(K_EMAIL) or "",
    )


def _save(questionnaire: qs.QuestionnaireInfo, *, respondent: qs.Respondent | None = None) -> bool:
    """Save everything answered so far as the draft; False (with messages set) when refused."""
    state = FORM.submit(
        qs.save_draft,
        questionnaire_id=questionnaire.id,
        answers=_answers(questionnaire.questions),
        respondent=respondent,
        resume_code=st.session_state.get(K_CODE),
        origin=participant.origin(),
        edition_id=questionnaire.edition_id,
    )
    if state is None:
        _go_to_first_error(questionnaire)
        return False
    st.session_state[K_CODE] = state.resume_code
    return True


def _go_to_first_error(questionnaire: qs.QuestionnaireInfo) -> None:
    """To the first section holding a refused answer, where its message is drawn."""
    errors = FORM.errors()
    for index, section in enumerate(questionnaire.sections):
        if any(q.code in errors for q in section.questions):
            st.session_state[K_STEP] = index
            return


def _next(questionnaire: qs.QuestionnaireInfo) -> None:
    ss = st.session_state
    step = ss.get(K_STEP, -1)
    errors = qs.check_section(questionnaire, step, _answers(list(questionnaire.sections[step].questions)))
    ss[K_SAVED] = None
    if errors:
        ss[K_ERRORS] = errors
        return
    ss[K_ERRORS] = {}
    if _save(questionnaire):
        ss[K_STEP] = step + 1


def _previous() -> None:
    st.session_state[K_ERRORS] = {}
    st.session_state[K_SAVED] = None
    st.session_state[K_STEP] = max(0, st.session_state.get(K_STEP, 0) - 1)


def _save_for_later(questionnaire: qs.QuestionnaireInfo, departements: dict[str, str]) -> None:
    ss = st.session_state
    ss[K_ERRORS] = {}
    on_last_step = ss.get(K_STEP, -1) >= len(questionnaire.sections)
    if _save(questionnaire, respondent=_respondent(departements) if on_last_step else None):
        ss[K_SAVED] = format_datetime(datetime.now(UTC))


def _start() -> None:
    st.session_state[K_STEP] = 0
    st.session_state[K_ERRORS] = {}


def _resume(questionnaire: qs.QuestionnaireInfo, departements: dict[str, str]) -> None:
    ss = st.session_state
    typed = ss.get(K_RESUME_INPUT) or ""
    state = store.read(qs.load_draft, resume_code=typed, edition_id=questionnaire.edition_id)
    if state is None or state.questionnaire_id != questionnaire.id:
        ss[K_ERRORS] = {"resume": "Ce code ne correspond à aucun brouillon : vérifiez-le (12 lettres et chiffres)."}
        return
    if state.status == qs.ResponseStatus.SUBMITTED:
        sent = format_datetime(state.submitted_at) if state.submitted_at else ""
        ss[K_ERRORS] = {"resume": f"Les réponses de ce brouillon ont déjà été envoyées (le {sent}). Merci !"}
        return
    for q in questionnaire.questions:
        _set_widget(q, state.answers.get(q.code))
    r = state.respondent
    ss[K_ORG], ss[K_NAME], ss[K_EMAIL] = r.organisation, r.respondent_name, r.email
    ss[K_ACTOR] = ACTOR_TYPE_LABELS.get(r.actor_type or "", NOT_SAID)
    if r.departement in departements:
        ss[K_DEPT] = about_you.departement_label(r.departement, departements[r.departement])
    else:
        ss[K_DEPT] = NOT_SAID
    ss[K_CODE] = state.resume_code
    ss[K_ERRORS] = {}
    # Back where the actor stopped: the first section with a required question still unanswered.
    answered = set(state.answers)
    ss[K_STEP] = next(
        (
            i
            for i, s in enumerate(questionnaire.sections)
            if any(q.required and q.code not in answered for q in s.questions)
        ),
        len(questionnaire.sections),
    )


def _send(questionnaire: qs.QuestionnaireInfo, departements: dict[str, str]) -> None:
    ss = st.session_state
    ss[K_SAVED] = None
    if not ss.get(K_CODE) and not _save(questionnaire):
        return
    receipt = FORM.submit(
        qs.submit_response,
        resume_code=ss[K_CODE],
        answers=_answers(questionnaire.questions),
        respondent=_respondent(departements),
        edition_id=questionnaire.edition_id,
    )
    if receipt is None:
        _go_to_first_error(questionnaire)
        return
    texts = {q.code: q.text for q in questionnaire.questions}
    ss[K_RECEIPT] = {
        "code": receipt.resume_code,
        "submitted_at": receipt.submitted_at,
        "answered": receipt.answered,
        "contributions": [(texts.get(c.question_code, ""), c.receipt_code) for c in receipt.contributions],
    }
    ss[K_ERRORS] = {}


def _restart() -> None:
    for key in list(st.session_state):
        if str(key).startswith("qn_"):
            del st.session_state[key]


def _privacy_notice() -> None:
    st.caption(notices.questionnaire_notice(current, draft_retention_days=qs.DRAFT_RETENTION_DAYS))


def _question(q: qs.QuestionInfo, number: int) -> None:
    # Widget labels read Markdown: the pack's text is escaped (a « * » in it stays a star).
    label = f"{number}. {md_escape(q.text)}" + (" *" if q.required else "")
    key = _key(q.code)
    if q.qtype == "open":
        st.text_area(
            label,
            key=key,
            persist_state="session",
            max_chars=qs.OPEN_MAX_CHARS,
            height=120,
            placeholder=f"Votre proposition, en {qs.OPEN_MIN_CHARS} caractères au moins",
        )
    elif q.qtype == "single":
        st.radio(label, list(q.choices), index=None, key=key, persist_state="session")
    elif q.qtype == "multiple":
        st.multiselect(
            label, list(q.choices), key=key, persist_state="session", placeholder="Choisissez une ou plusieurs réponses"
        )
    elif q.qtype == "scale":
        st.radio(
            label,
            list(qs.SCALE_VALUES),
            index=None,
            horizontal=True,
            key=key,
            persist_state="session",
        )
    elif q.qtype == "yesno":
        st.radio(label, YESNO_OPTIONS, index=None, horizontal=True, key=key, persist_state="session")
    FORM.show(q.code)


def _render_receipt(receipt: dict[str, Any]) -> None:
    st.success("Merci : vos réponses sont enregistrées.", icon=":material/check_circle:")
    with st.container(border=True):
        # A code of the app's own alphabet (no user text): st.metric shows it large enough to copy.
        st.metric("Référence de votre réponse", str(receipt["code"]))
        answered = int(receipt["answered"])
        st.caption(
            f"Envoyée le {format_datetime(receipt['submitted_at'])} · {format_number(answered)} "
            f"réponse{'s' if answered > 1 else ''}. Gardez cette référence : elle permet de consulter, "
            "corriger ou effacer vos réponses."
        )
    made = receipt["contributions"]
    if made:
        st.markdown("**Vos propositions rejoignent les contributions à la stratégie**")
        for text, code in made:
            with st.container(border=True):
                st.text(text)
                st.caption(f"Code de reçu de la contribution : {code}")
    st.button("Répondre pour une autre structure", key="qn_restart", on_click=_restart, icon=":material/restart_alt:")


current = edition.active_edition()
try:
    questionnaire = store.read(qs.get_questionnaire, edition_id=current.id)
except NotFoundError:
    st.title("Questionnaire aux acteurs")
    st.info("Aucun questionnaire n'est ouvert pour le moment.")
    st.stop()
if not current.open:
    st.title("Questionnaire aux acteurs")
    st.info(
        "Ce questionnaire ne reçoit plus de réponses : cette édition de la conférence est archivée."
        if current.archived
        else "Ce questionnaire ne reçoit pas encore de réponses : cette édition de la conférence n'est pas ouverte.",
        icon=":material/event_busy:",
    )
    st.stop()
departements = dict(store.read(reference.list_departements, edition_id=current.id))
sections = questionnaire.sections
last = len(sections)
ss = st.session_state
if ss.get(K_FOR) != questionnaire.id:
    # Another edition's questionnaire (a QR code of another Région scanned in the same browser): start afresh,
    # its resume code and answers belong to the other one.
    _restart()
    ss[K_FOR] = questionnaire.id
ss.setdefault(K_STEP, -1)
ss.setdefault(K_ERRORS, {})

st.title("Questionnaire aux acteurs")

if ss.get(K_RECEIPT):
    _render_receipt(ss[K_RECEIPT])
    scroll_to_top_on_step("receipt")
    st.stop()

step = ss[K_STEP]
if step < 0:
    st.caption(f"Économie sociale et solidaire · {md_escape(current.region_name)} · sans compte")
    st.markdown(md_escape(questionnaire.description))  # the edition's pack's text, drawn as typed
    st.write(
        f"{len(sections)} étapes et un envoi. Les questions marquées * sont obligatoires. À chaque étape, vos "
        "réponses sont gardées : un code de reprise vous permet de finir plus tard, sur ce téléphone ou un autre."
    )
    st.button("Commencer", type="primary", width="stretch", key="qn_start", on_click=_start, icon=":material/start:")
    with st.expander("Reprendre un brouillon", icon=":material/history:", expanded=bool(ss[K_ERRORS].get("resume"))):
        st.text_input("Code de reprise", key=K_RESUME_INPUT, max_chars=20, placeholder="ABCD-EFGH-JKMN")
        FORM.show("resume")
        st.button("Reprendre", key="qn_resume", on_click=_resume, args=(questionnaire, departements))
    _privacy_notice()
    scroll_to_top_on_step("welcome")
    st.stop()

step = min(step, last)
title = md_escape(sections[step].title) if step < last else "Pour finir : qui répond ?"
st.progress(step / (last + 1), text=f"Étape {step + 1} sur {last + 1} · {title}")
if ss.get(K_CODE):
    st.caption(f"Brouillon enregistré · code de reprise : {ss[K_CODE]}")

if step < last:
    st.subheader(title)
    numbers = {q.code: n for n, q in enumerate(questionnaire.questions, start=1)}
    for q in sections[step].questions:
        _question(q, numbers[q.code])
else:
    st.subheader("Pour finir : qui répond ?")
    st.caption("Tout est facultatif. Ces informations servent aux statistiques par type d'acteur et par département.")
    st.text_input("Votre structure", key=K_ORG, persist_state="session", max_chars=200, autocomplete="organization")
    FORM.show("organisation")
    about_you.actor_and_departement(
        departements.items(),
        keys=(K_ACTOR, K_DEPT),
        labels=("Type de structure", "Département"),
        form=FORM,
        by_label=True,  # the answers keep the labels (a resumed draft sets them back)
        persist_state="session",
    )
    st.text_input("Votre nom", key=K_NAME, persist_state="session", max_chars=120, autocomplete="name")
    FORM.show("respondent_name")
    st.text_input(
        "Votre adresse électronique", key=K_EMAIL, persist_state="session", max_chars=200, autocomplete="email"
    )
    FORM.show("email")

_privacy_notice()
# A form-wide message at the foot; the others are drawn next to their questions.
FORM.show_rest(FORM.errors().keys() - {forms.FORM}, summary=TO_REVIEW)
if ss.get(K_SAVED):
    st.success(
        f"Brouillon enregistré le {ss[K_SAVED]}. Pour reprendre plus tard, notez ce code de reprise :",
        icon=":material/bookmark:",
    )
    st.code(ss[K_CODE], language=None)

if step < last:
    st.button(
        "Suivant",
        type="primary",
        width="stretch",
        key="qn_next",
        on_click=_next,
        args=(questionnaire,),
        icon=":material/arrow_forward:",
    )
else:
    st.button(
        "Envoyer mes réponses",
        type="primary",
        width="stretch",
        key="qn_send",
        on_click=_send,
        args=(questionnaire, departements),
        icon=":material/send:",
    )
left, right = st.columns(2)
if step > 0:
    left.button("Précédent", width="stretch", key="qn_previous", on_click=_previous, icon=":material/arrow_back:")
right.button(
    "Finir plus tard",
    width="stretch",
    key="qn_later",
    on_click=_save_for_later,
    args=(questionnaire, departements),
    icon=":material/bookmark:",
)
scroll_to_top_on_step(str(step))
