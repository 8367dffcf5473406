"""Models load when a process starts (the web process: search's; an AI worker: answers' and triage's), so that the
first customer does not wait for them; a model that cannot load is logged and never stops the process. The suite
runs with AI_WARM_UP off (tests/conftest.py); these tests turn it on."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from types import SimpleNamespace

import billiard.process
import pytest

from ai.backends import warmup
from helpdesk import celery as helpdesk_celery
from tests.conftest import ROOT, _process_env


def test_a_model_that_cannot_load_is_logged_and_the_others_still_load(caplog):
    loaded: list[str] = []

    def missing() -> None:
        raise OSError("no such model directory")

    with caplog.at_level(logging.INFO, logger="ai.backends.warmup"):
        warmup.warm_up([("the broken model", missing), ("the good model", lambda: loaded.append("good"))])
    assert loaded == ["good"]
    warning = next(r for r in caplog.records if r.levelno == logging.WARNING)
    assert "Could not load the broken model" in warning.getMessage() and warning.exc_info is not None


def test_the_background_warm_up_does_not_hold_up_its_caller():
    started = time.monotonic()
    thread = warmup.warm_up_in_background([("a slow model", lambda: time.sleep(0.5))])
    assert time.monotonic() - started < 0.4 and thread.daemon
    thread.join(timeout=5)
    assert not thread.is_alive()


class TestAiWorker:
    """The worker's signal handler alone: which workers warm up, and how."""

    @pytest.fixture
    def calls(self, monkeypatch, settings) -> list[str]:
        settings.AI_WARM_UP = True
        recorded: list[str] = []
        monkeypatch.setattr(warmup, "warm_up", lambda models: recorded.append("now"))
        monkeypatch.setattr(warmup, "warm_up_in_background", lambda models: recorded.append("background"))
        return recorded

    @staticmethod
    def _consumes(monkeypatch, *queues: str) -> None:
        monkeypatch.setattr(type(helpdesk_celery.app.amqp.queues), "consume_from",
                            property(lambda self: {name: object() for name in queues}))

    def test_a_solo_worker_of_the_ai_queue_loads_before_it_takes_a_task(self, calls, monkeypatch):
        self._consumes(monkeypatch, "default", "ai")
        helpdesk_celery._warm_up_ai_worker()
        assert calls == ["now"]

    def test_a_prefork_child_loads_in_the_background(self, calls, monkeypatch):
        # Celery kills a pool child whose start takes over 4 s.
        self._consumes(monkeypatch, "ai")
        monkeypatch.setattr(billiard.process, "current_process", lambda: SimpleNamespace(name="ForkPoolWorker-1"))
        helpdesk_celery._warm_up_ai_worker()
        assert calls == ["background"]

    def test_a_worker_of_the_default_queue_loads_nothing(self, calls, monkeypatch):
        self._consumes(monkeypatch, "default")
        helpdesk_celery._warm_up_ai_worker()
        assert calls == []

    def test_nothing_loads_when_warm_up_is_off(self, calls, monkeypatch, settings):
        self._consumes(monkeypatch, "ai")
        settings.AI_WARM_UP = False
        helpdesk_celery._warm_up_ai_worker()
        assert calls == []


@pytest.mark.slow
class TestRealProcesses:
    @staticmethod
    def _env(**extra: str) -> dict[str, str]:
        return {**_process_env(), "AI_WARM_UP": "1", "LOG_LEVEL": "INFO", **extra}

    def test_a_new_web_process_has_searchs_models_loaded(self, django_db_setup):
        # What a search would otherwise load on its first query: the embedding model and jieba.
        script = ("import threading, helpdesk.asgi\n"
                  "from ai.backends import embeddings, text\n"
                  "[t.join() for t in threading.enumerate() if t.name == 'model-warm-up']\n"
                  "print(embeddings._load.cache_info().currsize, text.jieba_module.cache_info().currsize)\n")
        result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=self._env(), capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-3000:]
        assert result.stdout.split() == ["1", "1"]

    def test_a_missing_model_does_not_stop_the_web_process(self, django_db_setup):
        script = ("import threading, helpdesk.asgi\n"
                  "[t.join() for t in threading.enumerate() if t.name == 'model-warm-up']\n"
                  "print('started')\n")
        result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                                env=self._env(AI_EMBEDDING_MODEL="/no/such/model"), timeout=120)
        assert result.returncode == 0 and result.stdout.strip() == "started", result.stderr[-3000:]
        assert "Could not load the query embedding model at start" in result.stderr
        assert "Loaded jieba" in result.stderr

    def test_an_ai_worker_loads_its_models_before_it_is_ready(self, django_db_setup):
        env = self._env(
            # A broker of its own: a worker of the ai queue must not take tasks other tests left in the shared one.
            CELERY_BROKER_URL=_process_env()["REDIS_URL"].rsplit("/", 1)[0] + "/15",
            # The packaged e5 model for triage too: this tests the wiring, not how long torch takes to import.
            AI_CLASSIFIER_EMBEDDING_MODEL="multilingual-e5-small",
        )
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "-Q", "ai", "-c", "1", "--pool", "solo",
             "--loglevel", "info", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True,
        )
        lines: list[str] = []
        try:
            assert worker.stderr is not None
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not any(line.rstrip().endswith("ready.") for line in lines):
                line = worker.stderr.readline()
                if not line:
                    break
                lines.append(line)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
        log = "".join(lines)
        assert log.rstrip().endswith("ready."), log[-3000:]
        for name in ("the query embedding model", "jieba", "the language detector", "the sentiment model",
                     "the classifier's embedding model"):
            assert f"Loaded {name} in" in log, log[-3000:]
