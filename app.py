"""Entry point: page config, staff login, the role-based menu, then the chosen page. Nothing else."""

import streamlit as st

from ui import auth, errors, layout, run_log, store
from ui.navigation import run_menu

st.set_page_config(
    # The edition's own name is shown on the pages (ui/layout.py): the tab title stays generic.
    page_title="Conférence régionale de l'ESS",
    page_icon=":material/diversity_3:",
    layout="centered",
    initial_sidebar_state="auto",
)

# A store that cannot be reached (disk full, database restarting) gives a French message and a retry;
# any other unexpected error a French message too, its trace only in the server's log.
with errors.unexpected_errors_reported(), store.storage_faults_reported():
    # The menu's place, kept at the sidebar's top: it is filled once the session's role is known (ui/navigation).
    menu = st.sidebar.container(key="ess_menu")
    # Login (in the form's callback, before this run) and logout happen before st.navigation, so the menu
    # matches the session in this very run, with no st.rerun() that could cut off the cookie being written.
    account = auth.current_account()
    if account is None:
        auth.render_login_form()
    else:
        auth.write_login_cookies(account)
        # The logout run draws no login form: the cookie deletion's component reruns the page at once, and a
        # form drawn in both runs at two positions of the sidebar was seen left twice on screen.
        if auth.render_logout_button(account):
            account = None

    page = run_menu(account, menu)
    store.start_background_work()
    layout.render_sidebar(account)
    # One JSON line per page run on stderr (ui/run_log.py): its path, duration and outcome, nothing personal.
    with run_log.page_run_logged(page.url_path):
        page.run()
