"""An index of many texts, built once per data version, that answers « which of them resemble this? » fast."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from services.semantics import methods, model


class SuggestionIndex:
    """The texts' space, built once (the costly part: their vectors); each search embeds one text only."""

    def __init__(
        self,
        ids: Sequence[int],
        texts: Sequence[str],
        *,
        method_name: str | None = None,
        vectors: model.Matrix | None = None,
    ):
        self.ids = list(ids)
        self.method = methods.method(method_name).name
        self._space = methods.space(texts, method_name=self.method, vectors=vectors) if self.ids else None

    def __len__(self) -> int:
        return len(self.ids)

    def search(self, text: str, *, limit: int, min_score: float) -> list[tuple[int, float]]:
        """Up to `limit` (id, score) at or above `min_score` (in [0, 1]), best first, then the earliest id."""
        if self._space is None or not text.strip():
            return []
        scores = self._space.query([text])[0]
        order = np.lexsort((np.asarray(self.ids), -scores))
        found = [(self.ids[i], float(scores[i])) for i in order[: max(limit, 0) * 4] if scores[i] >= min_score]
        return found[:limit]
