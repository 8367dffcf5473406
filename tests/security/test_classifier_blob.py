"""A classifier row that did not come from this installation's training: unpickling it would run its code in
every AI worker that triages the tenant's tickets."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from ai.backends.classifier import SIGNED, TextClassifier, UnsignedModel, sign


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (self.marker.write_text, ("owned",))  # what a real payload would do with os.system


@pytest.mark.parametrize("how", ["unsigned", "altered", "signed elsewhere"])
def test_a_classifier_not_signed_here_is_refused_before_unpickling(tmp_path, settings, how) -> None:
    marker = tmp_path / "marker"
    evil = pickle.dumps(_Payload(marker))
    if how == "unsigned":
        blob = evil
    elif how == "altered":
        blob = sign(pickle.dumps({"classes": []}))[:len(SIGNED) + 32] + evil  # a real signature, another payload
    else:
        settings.SECRET_KEY = "another-installation-" * 3
        blob = sign(evil)
        settings.SECRET_KEY = "this-installation-" * 3
    with pytest.raises(UnsignedModel):
        TextClassifier.loads(blob)
    assert not marker.exists()


def test_a_model_trained_here_round_trips() -> None:
    model = TextClassifier(features="tfidf")
    model.fit(["card lost", "lost my card", "top up failed", "top-up did not work"],
              ["card", "card", "top_up", "top_up"], embedder=None)
    again = TextClassifier.loads(model.dumps())
    assert again.classes == ["card", "top_up"]
