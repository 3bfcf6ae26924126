"""Mon compte: change one's own password (which closes the account's other sessions)."""

import streamlit as st

from services import auth
from services.permissions import Permission
from ui import store
from ui.auth import keep_session_after_password_change, require

account = require(Permission.ACCOUNT)
st.title("Mon compte")
st.text(f"Identifiant : {account.username}")
st.text(f"Rôle : {auth.ROLE_LABELS.get(account.role, account.role)}")

st.subheader("Changer de mot de passe")
with st.form("account_password"):
    old = st.text_input("Mot de passe actuel", type="password", key="account_old")
    new = st.text_input(
        "Nouveau mot de passe",
        type="password",
        key="account_new",
        help=f"Au moins {auth.MIN_PASSWORD_LENGTH} caractères.",
    )
    confirm = st.text_input("Confirmez le nouveau mot de passe", type="password", key="account_confirm")
    submitted = st.form_submit_button("Changer le mot de passe")
if submitted:
    if new != confirm:
        st.error("Les deux saisies du nouveau mot de passe diffèrent.")
    else:
        changed = store.write_or_report(
            auth.change_password,
            username=account.username,
            new_password=new,
            old_password=old,
            actor=account.username,
        )
        if changed is not None:
            keep_session_after_password_change(changed)
            st.success("Mot de passe changé. Vos autres sessions ouvertes sont fermées : elles devront se reconnecter.")
