"""Models loaded when a process starts, so that its first customer does not wait for them.

Each backend loads its model once per process, on first use: measured on fresh processes, the first search of a
web process took 6 to 8 s and the first answer of an AI worker 7 to 9.5 s. The web process (helpdesk/asgi.py) warms
``SEARCH`` in a background thread; the AI worker (helpdesk/celery.py) warms ``ANSWER`` before it takes a task.
Settings ``AI_WARM_UP`` turns it off (the test suite does). A model that fails to load is logged and left to load
on first use, where its error reaches the request or task that needs it: warming up never stops a process.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from django.conf import settings

from ai.backends import embeddings, language, sentiment, text

logger = logging.getLogger(__name__)

Model = tuple[str, Callable[[], object]]  # what the log calls it, and a call that loads it and runs it once

WARM_UP_TEXT = "How do I reset my password?"

# A search embeds the query and, for Chinese, segments it with jieba (kb/search.py).
SEARCH: Sequence[Model] = (
    ("the query embedding model", lambda: embeddings.embed([WARM_UP_TEXT], role="query")),
    ("jieba", text.jieba_module),
)
# An answer searches, then detects the language and the mood (ai/answering.py); triage classifies with the
# classifier's own embedding model (ai/backends/classifier.py).
ANSWER: Sequence[Model] = (
    *SEARCH,
    ("the language detector", lambda: language.detect(WARM_UP_TEXT)),
    ("the sentiment model", lambda: sentiment.english(WARM_UP_TEXT)),
    ("the classifier's embedding model",
     lambda: embeddings.embed([WARM_UP_TEXT], name=settings.AI_CLASSIFIER_EMBEDDING_MODEL)),
)


def warm_up(models: Sequence[Model]) -> None:
    for name, load in models:
        started = time.monotonic()
        try:
            load()
        except Exception:
            logger.warning("Could not load %s at start; it will load on first use.", name, exc_info=True)
        else:
            logger.info("Loaded %s in %.1f s.", name, time.monotonic() - started)


def warm_up_in_background(models: Sequence[Model]) -> threading.Thread:
    # A daemon thread: a process told to stop does not wait for a model it will never use.
    thread = threading.Thread(target=warm_up, args=(models,), name="model-warm-up", daemon=True)
    thread.start()
    return thread
