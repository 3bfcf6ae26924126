"""Word counts for the live pages: French stop words out, accents folded for counting and kept for display."""

from __future__ import annotations

from services.words import STOP_WORDS, WordCount, count_words, words_of


def plain(text: str) -> list[str]:
    return [word for word, _ in words_of(text)]


def test_elisions_stop_words_short_words_and_digits_are_left_out() -> None:
    assert plain("L'emploi des jeunes, c'est l'affaire de tous ! 2016, 14 %") == ["emploi", "jeunes", "affaire"]
    assert plain("Jusqu'à aujourd'hui, qu'il faudrait-il ?") == []
    assert plain("auto-entrepreneur") == ["auto-entrepreneur"]


def test_markup_and_links_fall_apart_into_plain_words() -> None:
    words = plain("<img src=x onerror=alert(1)> [clic](javascript:alert(1))")
    assert all(w.isalpha() for w in words)
    assert "javascript" in words and "<img" not in " ".join(words)


def test_accents_and_case_count_together_and_the_accented_spelling_is_shown() -> None:
    texts = ["Coopération entre structures", "la cooperation", "COOPÉRATION !"]
    assert count_words(texts, top=1) == [WordCount("coopération", 3)]


def test_a_plural_counts_with_its_singular_and_each_text_counts_once() -> None:
    texts = ["Des emplois, des emplois, encore des emplois", "Un emploi durable", "Emplois et territoires"]
    result = count_words(texts, top=3)
    assert result[0] == WordCount("emploi", 3)  # three texts, whatever the repetitions
    assert WordCount("territoires", 1) in result  # no singular around: the plural stays as written


def test_acronyms_keep_their_capitals_and_ties_go_alphabetically() -> None:
    assert count_words(["Le PTCE du Pays d'Ancenis", "un PTCE, le DLA"], top=3) == [
        WordCount("PTCE", 2),
        WordCount("ancenis", 1),
        WordCount("DLA", 1),
    ]


def test_nothing_to_count() -> None:
    assert count_words([]) == []
    assert count_words(["le la les de des du", ""]) == []


def test_stop_words_are_stored_folded() -> None:
    assert {"etre", "deja", "tres", "peut-etre"} <= STOP_WORDS
    assert not any(ch in word for word in STOP_WORDS for ch in "éèêàçôû")
