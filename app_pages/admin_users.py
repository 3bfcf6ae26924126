"""Administration: staff accounts (create, change role, deactivate)."""

import pandas as pd
import streamlit as st

from services import auth
from services.auth import Role
from services.formatting import format_datetime
from services.permissions import Permission
from ui import store
from ui.auth import require

account = require(Permission.USERS)
st.title("Comptes de l'équipe")


# Labels as options (no format_func lambda: session state must stay picklable).
role_by_label = {auth.ROLE_LABELS[r.value]: r.value for r in Role}
role_labels = list(role_by_label)

st.subheader("Créer un compte")
with st.form("users_create", clear_on_submit=False):
    username = st.text_input(
        "Identifiant", key="users_new_username", help="Lettres minuscules, chiffres, point, tiret."
    )
    name = st.text_input("Nom affiché", key="users_new_name")
    email = st.text_input("Courriel (facultatif)", key="users_new_email")
    role_label = st.selectbox("Rôle", role_labels, key="users_new_role")
    password = st.text_input(
        "Mot de passe initial",
        type="password",
        key="users_new_password",
        help=f"Au moins {auth.MIN_PASSWORD_LENGTH} caractères ; à transmettre par un autre canal.",
    )
    created = st.form_submit_button("Créer le compte")
if created:
    new = store.write_or_report(
        auth.create_user,
        username=username,
        password=password,
        role=role_by_label[role_label],
        name=name,
        email=email,
        actor=account.username,
    )
    if new is not None:
        st.success(f"Compte « {new.username} » créé.")

users = store.read(auth.list_users)

st.subheader("Modifier un compte")
if users:
    # The account is chosen outside the form so the role and status below follow the choice at once.
    target = st.selectbox("Compte", [u.username for u in users], key="users_edit_target")
    current = next(u for u in users if u.username == target)
    with st.form("users_update"):
        new_role_label = st.selectbox(
            "Rôle", role_labels, index=role_labels.index(auth.ROLE_LABELS[current.role]), key=f"users_role_{target}"
        )
        active = st.checkbox("Compte actif", value=current.active, key=f"users_active_{target}")
        saved = st.form_submit_button("Enregistrer")
    if saved:
        updated = store.write_or_report(
            auth.update_user,
            username=target,
            role=role_by_label[new_role_label],
            active=active,
            actor=account.username,
        )
        if updated is not None:
            st.success("Compte mis à jour.")

st.subheader("Comptes existants")
users = store.read(auth.list_users)  # again: the forms above may just have changed it
table = pd.DataFrame(
    [
        {
            "Identifiant": u.username,
            "Nom": u.name,
            "Courriel": u.email,
            "Rôle": auth.ROLE_LABELS.get(u.role, u.role),
            "Actif": "oui" if u.active else "non",
            "Dernière connexion": format_datetime(u.last_login_at) if u.last_login_at else "—",
        }
        for u in users
    ],
    columns=["Identifiant", "Nom", "Courriel", "Rôle", "Actif", "Dernière connexion"],
)
st.dataframe(table, hide_index=True, width="stretch")
