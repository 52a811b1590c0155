"""Which TensorFlow and Keras versions keras2pb supports, and one-line verdicts about them.

The range is TensorFlow ``MIN_TF`` to ``MAX_TF`` with Keras 3: the test suite's fast tier runs
on the oldest (``scripts/test_oldest_tf.sh``) and everything runs on ``PINNED_TF``, the version
of ``requirements.txt`` that the notebooks' text and numbers were written with. This module
imports nothing heavy: the verdict functions take version strings, and ``require_supported``
reads the versions of the already-imported ``tensorflow`` / ``keras``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import Keras2pbError

#: Oldest and newest TensorFlow (major, minor) the tests run on.
MIN_TF = (2, 19)
MAX_TF = (2, 21)
#: The version in requirements.txt: the notebooks' outputs were made with it.
PINNED_TF = (2, 21)
#: Keras major version the library is written for (the one TF >= 2.16 installs).
KERAS_MAJOR = 3
#: How to get a supported stack, as shown to the user.
FIX = "pip install -r requirements.txt (TensorFlow 2.21 + Keras 3)"


class UnsupportedVersion(Keras2pbError):
    """TensorFlow older than the range, or not Keras 3; the message names the fix."""

    def _render_traceback_(self) -> list[str]:
        """IPython shows this instead of a traceback: one line in a notebook."""
        return [f"{type(self).__name__}: {self}"]


@dataclass(frozen=True)
class Verdict:
    """The outcome for one TensorFlow/Keras pair: ``level`` is ``ok``, ``warn`` or ``stop``."""

    level: str
    message: str  # one line

    @property
    def ok(self) -> bool:
        """False only for ``stop``: a version the library cannot work with."""
        return self.level != "stop"


def parse_version(text: str) -> tuple[int, int]:
    """(major, minor) of a version string such as ``2.21.0``, ``2.20.0rc1`` or ``3.15.1``.

    Raises ValueError when ``text`` does not start with two dotted numbers.
    """
    match = re.match(r"\s*(\d+)\.(\d+)", text or "")
    if match is None:
        raise ValueError(f"not a version number: {text!r}")
    return int(match.group(1)), int(match.group(2))


def _dotted(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


def range_text() -> str:
    """The supported TensorFlow range as text, e.g. ``2.19-2.21``."""
    return f"{_dotted(MIN_TF)}-{_dotted(MAX_TF)}"


def keras_supported(keras_version: str) -> bool:
    """True for a Keras 3 version string."""
    try:
        return parse_version(keras_version)[0] == KERAS_MAJOR
    except ValueError:
        return False


def verdict(tf_version: str, keras_version: str | None = None) -> Verdict:
    """Judge a TensorFlow version (and the Keras one, when given).

    ``stop``: TensorFlow older than ``MIN_TF`` or unreadable, or Keras other than 3: the
    message names the minimum version and the fix. ``warn``: a tested version other than
    ``PINNED_TF``, or one newer than ``MAX_TF`` (not tested yet): the library should work but
    the notebooks' numbers may differ. ``ok``: the pinned version.
    """
    found = f"TensorFlow {tf_version}" + (f", Keras {keras_version}" if keras_version else "")
    try:
        tf_v = parse_version(tf_version)
    except ValueError:
        return Verdict("stop", f"{found}: cannot read the TensorFlow version; keras2pb needs "
                               f"TensorFlow {_dotted(MIN_TF)} or newer: {FIX}")
    if tf_v < MIN_TF:
        return Verdict("stop", f"{found}: keras2pb needs TensorFlow {_dotted(MIN_TF)} or newer "
                               f"with Keras 3: {FIX}")
    if keras_version is not None and not keras_supported(keras_version):
        return Verdict("stop", f"{found}: keras2pb needs Keras 3 (TensorFlow {_dotted(MIN_TF)} "
                               f"or newer installs it): unset TF_USE_LEGACY_KERAS and {FIX}")
    if tf_v > MAX_TF:
        return Verdict("warn", f"warning: {found}: newer than the tested "
                               f"{range_text()}; it should work, but if something breaks: {FIX}")
    if tf_v != PINNED_TF:
        return Verdict("warn", f"warning: {found}: tested, but the notebooks' text and numbers "
                               f"come from TensorFlow {_dotted(PINNED_TF)} (yours may differ "
                               "slightly)")
    return Verdict("ok", found)


def require_supported(keras_too: bool = False) -> None:
    """Raise UnsupportedVersion (one line, with the fix) if the imported TensorFlow is unsupported.

    Reads ``tensorflow.__version__`` (and ``keras.__version__`` with ``keras_too``); imports
    them if needed. Called when the TensorFlow-using modules of keras2pb are imported, so an
    old TensorFlow fails at once with the minimum version instead of deep inside a call.
    Warnings are not raised here: the notebooks and ``keras2pb check`` show those.
    """
    import tensorflow as tf

    keras_version = None
    if keras_too:
        import keras

        keras_version = getattr(keras, "__version__", "?")
    result = verdict(getattr(tf, "__version__", "?"), keras_version)
    if not result.ok:
        raise UnsupportedVersion(result.message)


def notebook_check(tf_version: str, keras_version: str | None = None) -> None:
    """The notebooks' version cell: print one line, or stop the notebook with the fix.

    A tested or newer version prints its versions (or a one-line warning) and goes on; an
    unsupported one raises UnsupportedVersion, which Jupyter shows as one line (no
    traceback) and which stops "Run all".
    """
    result = verdict(tf_version, keras_version)
    if not result.ok:
        raise UnsupportedVersion(result.message)
    print(result.message)
