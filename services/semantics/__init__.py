"""Whether two French texts say the same thing, offline: one service for similar contributions while typing,
near-duplicate groups and questionnaire columns matched to questions.

    from services import semantics
    semantics.similarity_matrix(texts_a, texts_b)      # scores in [0, 1]
    semantics.close_pairs(texts, 0.6)                  # [(score, i, j)]
    semantics.close_groups(texts, 0.37)                # [[i, j, …]] for grouping (average linkage)
    semantics.explain(text_a, text_b)                  # meaning score and shared words
    semantics.SuggestionIndex(ids, texts).search(text) # while typing

The sentence model (services.semantics.model) is loaded once per process and shared; without it every call
falls back on the word method. Which method is the default, and why: bench/RESULTS.md.
"""

from services.semantics.backfill import backfill, start_in_background
from services.semantics.compare import (
    LINKAGE_MAX_SIZE,
    Explanation,
    close_groups,
    close_pairs,
    explain,
    groups_in,
    pairs_in,
    similarity,
    similarity_matrix,
)
from services.semantics.index import SuggestionIndex
from services.semantics.methods import (
    DEFAULT_METHOD,
    FALLBACK_GROUP_THRESHOLD,
    FALLBACK_METHOD,
    FALLBACK_SUGGEST_THRESHOLD,
    GROUP_METHOD,
    GROUP_THRESHOLD,
    METHODS,
    SUGGEST_THRESHOLD,
    method,
    space,
)
from services.semantics.model import MODEL_ID, available
from services.semantics.normalise import key_words, lemma_key, prepare
from services.semantics.vectors import contribution_text, contribution_vectors, recall_stored

__all__ = [
    "DEFAULT_METHOD",
    "FALLBACK_GROUP_THRESHOLD",
    "FALLBACK_METHOD",
    "FALLBACK_SUGGEST_THRESHOLD",
    "GROUP_METHOD",
    "GROUP_THRESHOLD",
    "LINKAGE_MAX_SIZE",
    "METHODS",
    "MODEL_ID",
    "SUGGEST_THRESHOLD",
    "Explanation",
    "SuggestionIndex",
    "available",
    "backfill",
    "close_groups",
    "close_pairs",
    "contribution_text",
    "contribution_vectors",
    "explain",
    "groups_in",
    "key_words",
    "lemma_key",
    "method",
    "pairs_in",
    "prepare",
    "recall_stored",
    "similarity",
    "similarity_matrix",
    "space",
    "start_in_background",
]
