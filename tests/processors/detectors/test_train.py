"""The training script rebuilds the shipped classifier exactly (same data, same seed)."""

from __future__ import annotations

from importlib import resources

from agentstate.processors.detectors import train
from agentstate.processors.detectors.classifier import MODEL_FILE, dumps
from tests.conftest import shared_file


def test_rebuilt_model_equals_the_shipped_one() -> None:
    root = shared_file("security", "train", "injection_train.csv").parents[1]
    rebuilt = dumps(train.build(train.load_rows(root)))
    shipped = resources.files("agentstate.processors.detectors").joinpath("model", MODEL_FILE).read_text("utf-8")
    assert rebuilt == shipped


def test_rows_are_routed_to_the_head_that_judges_them() -> None:
    rows = [
        train.Row("ignore previous", True, "direct", "direct:x", "a", False),
        train.Row("doc with planted order", True, "indirect", "indirect:x", "b", True),
        train.Row("clean tool output", False, "benign", "benign:clean_tool_output", "c", True),
        train.Row("what is 2+2", False, "benign", "benign:math_word_problem", "d", False),
    ]
    assert train.head_rows(rows, "direct") == [0, 2, 3]
    assert train.head_rows(rows, "indirect") == [0, 1, 2, 3]
