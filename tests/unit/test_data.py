"""load_mnist(): the offline sample by default; the Keras download only when asked."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import numpy as np
import pytest

import keras2pb
from keras2pb import Keras2pbError, load_mnist
from keras2pb.tutorial.data import SAMPLE_PATH


def test_sample_shapes_types_and_ranges():
    (x_train, y_train), (x_test, y_test) = load_mnist()
    assert x_train.shape == (4000, 28, 28, 1) and x_test.shape == (1000, 28, 28, 1)
    assert x_train.dtype == x_test.dtype == np.float32
    assert 0.0 <= x_train.min() and x_train.max() <= 1.0 and x_train.max() > 0.99
    assert y_train.shape == (4000,) and set(np.unique(y_test)) == set(range(10))
    # shuffled before the split: every digit is well represented in the test split
    assert np.bincount(y_test).min() >= 70


def test_sample_ships_inside_the_package():
    # package data (pyproject.toml), so a wheel install has it too (tests/e2e/test_wheel.py)
    package = Path(keras2pb.__file__).resolve().parent / "tutorial"
    assert SAMPLE_PATH.is_file() and SAMPLE_PATH.parent == package / "sample"
    assert (package / "sample" / "README.md").is_file()  # the CC BY-SA attribution


def test_sample_is_truncated_on_request():
    (x_train, y_train), (x_test, y_test) = load_mnist(n_train=100, n_test=10)
    assert len(x_train) == len(y_train) == 100 and len(x_test) == len(y_test) == 10


def test_missing_sample_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS2PB_MNIST", str(tmp_path / "gone.npz"))
    with pytest.raises(Keras2pbError, match="gone.npz: MNIST sample not found"):
        load_mnist()


def test_keras_source_without_network_fails_clearly(monkeypatch, tmp_path):
    # An empty Keras cache and a proxy on a closed loopback port: the download cannot happen.
    # urllib caches its opener (with these proxies) globally: restore it after the test, or
    # later loopback requests of other tests would go to the dead proxy.
    monkeypatch.setattr(urllib.request, "_opener", None)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    for var in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    with pytest.raises(Keras2pbError, match="could not download full MNIST"):
        load_mnist(source="keras")


def test_unknown_source():
    with pytest.raises(Keras2pbError, match="unknown MNIST source"):
        load_mnist(source="web")
