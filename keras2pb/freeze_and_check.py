"""``keras2pb.freeze``: freezing (``freezing/freeze.py``) that checks what it writes in its target.

Freezing may not import the runtimes (layers point one way), so the OpenCV check of
``for_opencv=True`` is passed in here, above both: a variant written without an error runs in
OpenCV at batch 1 and a batch >= 2 like TensorFlow (when OpenCV is installed).
"""

from __future__ import annotations

from typing import Any


def freeze(model_or_path: Any, output_path: Any, **options: Any) -> dict[str, Any]:
    """:func:`keras2pb.freezing.freeze.freeze` with ``check_opencv`` defaulting to
    ``keras2pb.runtime.opencv.check_opencv_variant``: same arguments, same result, same
    errors, plus a refusal (nothing written) when the OpenCV variant does not run right."""
    from .freezing.freeze import freeze as freeze_graph
    from .runtime.opencv import check_opencv_variant

    options.setdefault("check_opencv", check_opencv_variant)
    return freeze_graph(model_or_path, output_path, **options)
