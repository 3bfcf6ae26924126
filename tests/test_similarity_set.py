"""The similarity evaluation set is well formed, big enough, and holds the variations it claims to hold."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
import yaml

from tests.fixtures.similarity_set import (
    SPLITS,
    EvalGroup,
    EvalText,
    load_contribution_set,
    load_groups,
    load_traps,
    negative_count,
    pairs,
    positive_count,
)

SEED_PACK = Path(__file__).resolve().parent.parent / "assets" / "editions" / "pays-de-la-loire-2016.yaml"
# Capitals that are names, not shouting: acronyms of the domain and of the rewordings.
ACRONYMS = {
    "ESS",
    "PTCE",
    "SCIC",
    "SCOP",
    "CRESS",
    "URSCOP",
    "DLA",
    "DASESS",
    "EPCI",
    "IAE",
    "QPV",
    "CJS",
    "CIS",
    "CDI",
    "PME",
    "ESAT",
    "CCI",
    "ESSOR",
    "RH",
}
WORD = re.compile(r"[^\W\d_]+")
ACCENTED = re.compile(r"[àâäéèêëîïôöùûüÿçœæ]", re.IGNORECASE)


@pytest.fixture(scope="module")
def items() -> list[EvalText]:
    return load_contribution_set()


@pytest.fixture(scope="module")
def groups() -> list[EvalGroup]:
    return load_groups()


def seed_themes() -> set[str]:
    pack = yaml.safe_load(SEED_PACK.read_text(encoding="utf-8"))
    return {str(theme["code"]) for theme in pack["themes"]}


def fold(text: str) -> str:
    """Lower case without accents, to find a phrase however it was typed."""
    return "".join(c for c in unicodedata.normalize("NFD", text.casefold()) if not unicodedata.combining(c))


def shouts(text: str) -> bool:
    """A word of 3 letters or more in capitals that is not an acronym (« ALLÉGER », « TOUS »)."""
    return any(len(w) >= 3 and w.isupper() and w not in ACRONYMS for w in WORD.findall(text))


def test_ids_are_unique_and_groups_hold_three_to_six_texts(groups: list[EvalGroup]) -> None:
    ids = Counter(g.id for g in groups)
    assert [i for i, n in ids.items() if n > 1] == []
    assert [g.id for g in groups if not 3 <= len(g.texts) <= 6] == []


def test_every_trap_is_near_a_group_of_its_theme_and_split(groups: list[EvalGroup]) -> None:
    by_id = {g.id: g for g in groups}
    for trap in load_traps():
        assert trap.near in by_id, trap
        assert by_id[trap.near].theme == trap.theme, trap
        # Same split as its group, or the trap would never be compared with the texts it imitates.
        assert by_id[trap.near].split == trap.split, trap


def test_themes_are_the_seed_themes_and_both_splits_cover_each(items: list[EvalText]) -> None:
    themes = seed_themes()
    assert {i.theme for i in items} == themes
    for split in SPLITS:
        assert {i.theme for i in items if i.split == split and not i.is_trap} == themes, split
        assert {i.theme for i in items if i.split == split and i.is_trap} == themes, split


def test_size_and_balance(items: list[EvalText], groups: list[EvalGroup]) -> None:
    assert len(groups) >= 45
    assert sum(not i.is_trap for i in items) >= 180
    assert sum(i.is_trap for i in items) >= 40
    per_theme = Counter(g.theme for g in groups)
    assert min(per_theme.values()) >= 5, per_theme
    per_split = Counter(i.split for i in items)
    assert abs(per_split["dev"] - per_split["test"]) <= len(items) // 5, per_split


def test_no_text_is_repeated_and_lengths_are_phone_like(items: list[EvalText]) -> None:
    exact = Counter(i.text for i in items)
    assert [t for t, n in exact.items() if n > 1] == []
    folded = Counter(fold(i.text).strip() for i in items)
    assert [t for t, n in folded.items() if n > 1] == []
    assert [i.text for i in items if not 10 <= len(i.text.split()) <= 60] == []
    assert "@" not in "".join(i.text for i in items)


def test_the_rewordings_hold_each_kind_of_variation(items: list[EvalText], groups: list[EvalGroup]) -> None:
    texts = [i.text for i in items]
    assert sum("’" in t for t in texts) >= 15
    assert sum("'" in t for t in texts) >= 100
    unaccented = [t for g in groups if any(ACCENTED.search(o) for o in g.texts) for t in g.texts]
    assert sum(not ACCENTED.search(t) for t in unaccented) >= 15
    assert sum(shouts(t) for t in texts) >= 8
    assert sum(bool(re.search(r"\bassos?\b", t, re.IGNORECASE)) for t in texts) >= 6
    assert sum(t == t.lower() for t in texts) >= 20  # typed on a phone, no capital at all
    # The abbreviation and the full name within one group.
    both = [g for g in groups if any("ESS" in t for t in g.texts) and any("sociale et solidaire" in t for t in g.texts)]
    assert len(both) >= 4
    synonyms = ("intercommunalit", "communaute de communes", "epci", "com com", "com’ com’", "interco")
    assert sum(len({s for s in synonyms for t in g.texts if s in fold(t)}) >= 3 for g in groups) >= 2
    # A short and a long way of saying the same thing.
    lengths = [[len(t.split()) for t in g.texts] for g in groups]
    assert sum(min(n) <= 15 and max(n) >= 25 for n in lengths) >= 15


def test_pairs_stay_within_a_theme_and_a_split(items: list[EvalText]) -> None:
    seen = 0
    for split in SPLITS:
        for i, j, same in pairs(items, split):
            assert i < j
            assert items[i].theme == items[j].theme
            assert items[i].split == items[j].split == split
            assert same == (items[i].group == items[j].group and not items[i].is_trap)
            seen += 1
        assert positive_count(items, split) >= 150
        assert negative_count(items, split) > positive_count(items, split)
    assert seen == sum(1 for _ in pairs(items)) - cross_split_pairs(items)


def cross_split_pairs(items: list[EvalText]) -> int:
    themes = Counter((i.theme, i.split) for i in items)
    return sum(themes[(theme, "dev")] * themes[(theme, "test")] for theme in {t for t, _ in themes})
