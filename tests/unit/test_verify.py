"""verify(): Keras and the frozen graph agree; a different model does not."""

from __future__ import annotations

from keras2pb import verify
from keras2pb.tutorial.models import mnist_cnn


def test_verify_agrees_for_every_case(zoo):
    for name, case in zoo.items():
        if name in ("custom_file",):
            continue
        result = verify(case["model"], case["pb"])
        assert result.ok, (name, result)
        assert result.max_abs_diff <= 1e-5
        assert result.n == 64


def test_verify_from_files_with_custom_objects(zoo):
    case = zoo["custom_file"]
    result = verify(case["source"], case["pb"], custom_objects=case["custom_objects"])
    assert result.ok


def test_verify_with_given_inputs(zoo):
    case = zoo["two_io"]
    result = verify(case["model"], case["pb"], case["feeds"])
    assert result.ok and result.n == 16
    assert set(result.per_output) == {"digit", "score"}


def test_verify_notices_a_different_model(zoo):
    result = verify(mnist_cnn(), zoo["sequential"]["pb"])
    assert not result.ok
    assert result.max_abs_diff > 1e-3
