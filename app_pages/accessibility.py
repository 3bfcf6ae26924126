"""Déclaration d'accessibilité, in the RGAA's format: conformity, tests, what is not accessible, how it was
established, whom to write to, and the Défenseur des droits.

Nothing here is claimed by hand: the audit's date, tools and results come from the recorded audit file
(services.accessibility, written by the axe-core browser test); who answers comes from the edition's settings.
"""

import streamlit as st

from services import accessibility
from services.exports import md_escape
from services.formatting import format_date, format_number
from ui import edition
from ui.navigation import PAGES

RGAA = "RGAA 4.1.2"
IMPACT_LABELS = {"critical": "critique", "serious": "grave", "moderate": "modérée", "minor": "mineure"}


@st.cache_data(ttl=300, show_spinner=False)  # one file shared by every visitor: nobody's own data
def _audit() -> accessibility.AuditRecord | None:
    return accessibility.load_audit()


def _plural(count: int, word: str) -> str:
    return f"{format_number(count)} {word}{'s' if count > 1 else ''}"


def _page_line(page: accessibility.AuditedPage) -> str:
    blocking = page.violations.get("critical", 0) + page.violations.get("serious", 0)
    others = ", ".join(
        f"{_plural(page.violations[k], 'élément')} en violation {IMPACT_LABELS[k]}"
        for k in ("moderate", "minor")
        if page.violations.get(k)
    )
    result = "aucune violation grave ou critique" if not blocking else _plural(blocking, "violation grave ou critique")
    return f"- {md_escape(page.title)} (/{page.url_path}, {page.audience}, écran {page.viewport}) : {result}" + (
        f" ; {others}" if others else ""
    )


current = edition.active_edition()
who = accessibility.responsible(current)
audit = _audit()

st.title("Déclaration d'accessibilité", anchor=False)
entity = md_escape(who.entity) if who.entity else "les organisateurs de la conférence"
st.markdown(
    f"Cette déclaration s'applique à l'application de la conférence « {md_escape(current.name)} » : pages des "
    f"participants et pages de l'équipe. Responsable de l'application : {entity}. L'accessibilité des services "
    "numériques publics est une obligation (article 47 de la loi n° 2005-102 du 11 février 2005) que ses "
    "responsables s'engagent à respecter."
)

st.header("État de conformité", anchor=False)
st.markdown(
    f"Cette application est **non conforme** avec le {RGAA} : aucun audit de conformité au référentiel, critère "
    "par critère, n'a encore été réalisé. Les tests ci-dessous sont automatiques (ils ne vérifient qu'une partie "
    "des critères) et complétés par des parcours au clavier ; ils ne remplacent pas cet audit."
)

st.header("Résultats des tests", anchor=False)
if audit is None:
    st.warning("Aucun audit automatique n'est enregistré pour cette version de l'application.")
else:
    pages = sorted(audit.pages, key=lambda p: (p.audience != "participants", p.title))
    blocking_text = (
        "aucune violation grave ou critique n'a été relevée"
        if audit.blocking == 0
        else f"{_plural(audit.blocking, 'violation grave ou critique')} restent à corriger"
    )
    st.markdown(
        f"Audit automatique du {format_date(audit.audited_on)} avec axe-core {md_escape(audit.axe_core)} "
        f"(règles {md_escape(', '.join(audit.rule_tags))}) sur {_plural(len(pages), 'page')} : {blocking_text}."
    )
    st.markdown("\n".join(_page_line(p) for p in pages))
    if audit.keyboard_journeys:
        st.markdown(
            "Parcours réalisés au clavier seul (sans souris), vérifiés dans le navigateur :\n"
            + "\n".join(f"- {md_escape(j)}" for j in audit.keyboard_journeys)
        )
    audited = {p.url_path for p in audit.pages}
    missing = [spec.title for spec in PAGES if spec.url_path not in audited]
    if missing:
        st.warning("Pages ajoutées depuis le dernier audit, pas encore auditées : " + ", ".join(missing) + ".")

st.header("Contenus non accessibles", anchor=False)
st.subheader("Non-conformités connues", anchor=False)
known = [
    "L'application n'a pas été testée avec un lecteur d'écran ni par des personnes en situation de handicap ; "
    "les tests automatiques ne couvrent qu'une partie des critères du RGAA.",
    "Les graphiques du tableau de bord, de l'écran de la salle et des résultats sont des images pour un lecteur "
    "d'écran, avec un court texte de remplacement ; les chiffres principaux sont aussi donnés en texte ou en "
    "tableau, mais pas le détail de chaque graphique (évolution dans le temps, mots qui reviennent).",
    "Le tableau de bord et l'écran de la salle se mettent à jour seuls toutes les quelques secondes. Les chiffres "
    "ne sont pas lus à chaque mise à jour ; un résumé (nombre de contributions et, sur le tableau de bord, "
    "celles qui attendent la modération) est annoncé poliment au plus une fois par minute, quand il a changé.",
    "L'écran de la salle change de thème toutes les 20 secondes par défaut, sans bouton pause : on peut y fixer "
    "un thème (« Thème affiché » dans « En direct »).",
    "Les tableaux de données (modération, exports, résultats) sont dessinés par Streamlit dans un canevas : "
    "leur lecture au lecteur d'écran est limitée ; les mêmes données sont téléchargeables en CSV.",
]
if audit is not None:
    known += [f"{md_escape(e.reason)} (règle axe-core « {md_escape(e.rule)} »)." for e in audit.exclusions]
st.markdown("\n".join(f"- {line}" for line in known))
st.subheader("Dérogations pour charge disproportionnée", anchor=False)
st.markdown("Aucune.")
st.subheader("Contenus non soumis à l'obligation d'accessibilité", anchor=False)
st.markdown(
    "Les documents téléchargés (export Word de la stratégie, fichiers CSV) n'ont pas été audités ; ils reprennent "
    "des contenus consultables dans l'application."
)

st.header("Établissement de cette déclaration", anchor=False)
if audit is None:
    st.markdown("Cette déclaration n'a pas encore de date : aucun audit n'est enregistré.")
else:
    st.markdown(f"Cette déclaration a été établie le {format_date(audit.audited_on)}.")
    st.subheader("Technologies utilisées pour la réalisation de l'application", anchor=False)
    st.markdown("- HTML, CSS, JavaScript, WAI-ARIA (interface Streamlit)\n- Python (Streamlit), graphiques Plotly")
    st.subheader("Environnement de test", anchor=False)
    viewports = sorted({f"{p.viewport} ({p.audience})" for p in audit.pages})
    st.markdown(
        f"- Navigateur : {md_escape(audit.browser)}, sans tête, piloté par Playwright\n"
        f"- Écrans : {md_escape(', '.join(viewports))}\n"
        "- Aucune technologie d'assistance (lecteur d'écran, loupe) n'a encore été utilisée"
    )
    st.subheader("Outils pour évaluer l'accessibilité", anchor=False)
    st.markdown(
        f"- axe-core {md_escape(audit.axe_core)} (Deque Systems), injecté dans chaque page\n"
        "- Parcours au clavier automatisés (touches Tab, flèches, Espace, Entrée)"
    )
    st.subheader("Pages de l'application ayant fait l'objet de la vérification", anchor=False)
    st.markdown("\n".join(f"- {md_escape(p.title)} (/{p.url_path})" for p in audit.pages))

st.header("Retour d'information et contact", anchor=False)
contact = md_escape(who.contact) if who.contact else "l'accueil de la conférence"
st.markdown(
    "Si vous n'arrivez pas à accéder à un contenu ou à un service, vous pouvez contacter "
    f"{contact} pour être orienté vers une alternative accessible ou obtenir le contenu sous une autre forme."
)

st.header("Voies de recours", anchor=False)
st.markdown(
    "Cette procédure est à utiliser dans le cas suivant : vous avez signalé au responsable de l'application un "
    "défaut d'accessibilité qui vous empêche d'accéder à un contenu ou à un des services, et vous n'avez pas "
    "obtenu de réponse satisfaisante. Vous pouvez :\n"
    "- écrire un message au Défenseur des droits (https://formulaire.defenseurdesdroits.fr/) ;\n"
    "- contacter le délégué du Défenseur des droits de votre département "
    "(https://www.defenseurdesdroits.fr/saisir/delegues) ;\n"
    "- envoyer un courrier par la poste (gratuit, ne pas mettre de timbre) : Défenseur des droits, "
    "Libre réponse 71120, 75342 Paris CEDEX 07."
)
