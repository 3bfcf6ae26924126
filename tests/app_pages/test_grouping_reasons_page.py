"""Regroupement under AppTest: a proposal shows why each member is in its group, as data, never as Markdown."""

from __future__ import annotations

import uuid

import pytest

from db.engine import session_scope
from services import contributions, grouping
from services.contributions import ContributionDraft
from services.grouping import reasons
from tests.app_pages.helpers import app_as, texts
from tests.services.test_grouping_meaning import DISTINCT, GUICHET

pytestmark = pytest.mark.usefixtures("app_env")

GROUPING = "app_pages/grouping.py"
REWORDED = [
    "Créer un tiers-lieu dans chaque intercommunalité.",
    "Ouvrir des tiers lieux dans les communautés de communes.",
]
# Shares words with the two, not their meaning.
TRAP = "Supprimer les aides aux tiers-lieux."
# A copy of the first, in Markdown that must stay text.
MARKED = "**Créer** un tiers-lieu dans *chaque* intercommunalité !"
REASON = "Pourquoi dans ce groupe"


def add(body: str) -> int:
    with session_scope(write=True) as session:
        draft = ContributionDraft(theme_id=1, body=body, idempotency_key=uuid.uuid4().hex)
        return contributions.submit_contribution(session=session, draft=draft).contribution_id


def test_a_proposal_shows_each_members_reason() -> None:
    ids = [add(t) for t in [*REWORDED, TRAP, *GUICHET, *DISTINCT, MARKED]]
    at = app_as("staff").run()
    at.switch_page(GROUPING).run()
    assert not at.exception
    slider = at.slider(key="grouping_threshold")
    assert slider.label == "Seuil de ressemblance (%)" and slider.value == grouping.DEFAULT_THRESHOLD
    # Stricter than the default, where the trap would come along with the rewordings (staff move the slider).
    slider.set_value(50).run()
    at.button(key="grouping_propose").click().run()
    assert not at.exception
    assert "Groupes proposés : 2." in texts(at)
    tables = [df.value for df in at.dataframe if REASON in df.value.columns]
    assert len(tables) == 2 and all(TRAP not in list(t["Texte"]) for t in tables)
    (table,) = [t for t in tables if REWORDED[0] in list(t["Texte"])]
    assert list(table.columns[:3]) == ["Reçu", REASON, "Texte"]
    shown = dict(zip(table["Texte"], table[REASON], strict=True))
    assert set(shown) == {*REWORDED, MARKED}
    assert shown[REWORDED[0]] == reasons.REFERENCE
    assert shown[REWORDED[1]].startswith("sens proche (") and "mots en commun : tiers, lieu" in shown[REWORDED[1]]
    assert shown[MARKED] == reasons.SAME_TEXT
    # Nothing people wrote, nor any reason, reaches Markdown.
    assert not any("tiers" in m.value for m in at.markdown)
    assert len(ids) == 10
