"""Administration: staff accounts (create, change role, deactivate)."""

import pandas as pd
import streamlit as st

from models import Role
from services import auth
from services.errors import ValidationError
from services.formatting import format_datetime
from services.permissions import Permission
from ui import store
from ui.auth import require

account = require(Permission.USERS)
st.title("Comptes de l'équipe")

users = store.read(auth.list_users)
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
    ]
)
st.dataframe(table, hide_index=True, width="stretch")

role_options = [r.value for r in Role]

st.subheader("Créer un compte")
with st.form("users_create", clear_on_submit=False):
    username = st.text_input(
        "Identifiant", key="users_new_username", help="Lettres minuscules, chiffres, point, tiret."
    )
    name = st.text_input("Nom affiché", key="users_new_name")
    email = st.text_input("Courriel (facultatif)", key="users_new_email")
    role = st.selectbox("Rôle", role_options, format_func=lambda r: auth.ROLE_LABELS[r], key="users_new_role")
    password = st.text_input(
        "Mot de passe initial",
        type="password",
        key="users_new_password",
        help=f"Au moins {auth.MIN_PASSWORD_LENGTH} caractères ; à transmettre par un autre canal.",
    )
    created = st.form_submit_button("Créer le compte")
if created:
    try:
        new = store.write(
            auth.create_user,
            username=username,
            password=password,
            role=role,
            name=name,
            email=email,
            actor=account.username,
        )
    except ValidationError as exc:
        for message in exc.errors.values():
            st.error(message)
    else:
        st.success(f"Compte « {new.username} » créé.")

st.subheader("Modifier un compte")
if users:
    with st.form("users_update"):
        target = st.selectbox("Compte", [u.username for u in users], key="users_edit_target")
        current = next(u for u in users if u.username == target)
        new_role = st.selectbox(
            "Rôle",
            role_options,
            index=role_options.index(current.role),
            format_func=lambda r: auth.ROLE_LABELS[r],
            key="users_edit_role",
        )
        active = st.checkbox("Compte actif", value=current.active, key="users_edit_active")
        saved = st.form_submit_button("Enregistrer")
    if saved:
        try:
            store.write(auth.update_user, username=target, role=new_role, active=active, actor=account.username)
        except ValidationError as exc:
            for message in exc.errors.values():
                st.error(message)
        else:
            st.success("Compte mis à jour.")
