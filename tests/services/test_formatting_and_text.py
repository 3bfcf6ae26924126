"""French display forms and the text checks shared by every form."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.codes import READABLE_ALPHABET, normalise_code, readable_code
from services.formatting import format_date, format_datetime, format_figure, format_number, format_percent
from services.text import check_text, fold, has_forbidden_characters


def test_numbers_and_dates_in_french_form() -> None:
    assert format_number(152500) == "152\u202f500"
    assert format_number(6.25, 2) == "6,25"
    assert format_percent(14) == "14\u00a0%"
    assert format_figure(152500, "emplois") == "152\u202f500 emplois"
    moment = datetime(2016, 6, 28, 12, 30, tzinfo=UTC)  # 14:30 in Angers (summer time)
    assert format_date(moment) == "28/06/2016"
    assert format_datetime(moment) == "28/06/2016 14:30"
    with pytest.raises(ValueError):
        format_date(datetime(2016, 6, 28))


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "obligatoire"),
        ("   \n\t ", "obligatoire"),
        ("court", "trop court"),
        ("x" * 501, "trop long"),
        ("texte avec \x07 cloche", "contrôle"),
        ("surrogate \ud800 seul", "contrôle"),
    ],
)
def test_check_text_refuses_with_a_french_reason(value: str, problem: str) -> None:
    _, error = check_text(value, label="Le texte", min_chars=10, max_chars=500)
    assert error is not None and problem in error


def test_check_text_keeps_ordinary_text_and_newlines() -> None:
    text, error = check_text("  Ligne 1\r\nLigne 2 — « citée » 🙂  ", label="Le texte", max_chars=100)
    assert error is None and text == "Ligne 1\nLigne 2 — « citée » 🙂"
    assert not has_forbidden_characters("tab\tet\nretour")


def test_fold_ignores_accents_and_case() -> None:
    assert fold("Économie SOLIDAIRE à Angers") == "economie solidaire a angers"


def test_readable_codes_avoid_ambiguous_characters() -> None:
    codes = {readable_code() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert len(code) == 9 and code[4] == "-"
        assert set(code.replace("-", "")) <= set(READABLE_ALPHABET)
        assert not set(code) & set("0O1IL2Z5S8B")
    assert normalise_code(" k7qf mc3r ") == "K7QF-MC3R"


def test_every_stored_vocabulary_value_has_a_french_label() -> None:
    from models import ActorType, DisplayMode, GroupStatus, ModerationStatus, OrientationStatus, Source, Stance
    from services import labels

    pairs = [
        (Source, labels.SOURCE_LABELS),
        (Stance, labels.STANCE_LABELS),
        (ModerationStatus, labels.MODERATION_LABELS),
        (OrientationStatus, labels.ORIENTATION_STATUS_LABELS),
        (ActorType, labels.ACTOR_TYPE_LABELS),
        (DisplayMode, labels.DISPLAY_MODE_LABELS),
        (GroupStatus, labels.GROUP_STATUS_LABELS),
    ]
    for enum, mapping in pairs:
        assert {e.value for e in enum} == set(mapping), enum
    assert labels.label(labels.SOURCE_LABELS, "treasure_hunt") == "Chasse aux trésors"
    assert labels.label(labels.SOURCE_LABELS, None) == "—"
