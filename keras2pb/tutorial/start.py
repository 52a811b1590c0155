"""A notebook's first cell: check the versions and say where the notebook sits in the lesson."""

from __future__ import annotations

from ..errors import Keras2pbError

#: The lesson's steps, in order, and the steps each notebook covers.
STEPS = ("train", "save", "freeze", "load", "compare", "deploy")
NOTEBOOK_STEPS = {"01": ("train", "save"), "02": ("freeze",), "03": ("load",),
                  "04": ("compare",), "05": ("deploy",)}


def you_are_here(notebook: str) -> str:
    """The one-line strip of the lesson's steps with this notebook's in brackets, e.g.
    ``train → save → [freeze] → load → compare → deploy`` for ``"02"``.

    Raises Keras2pbError for an unknown notebook number.
    """
    if notebook not in NOTEBOOK_STEPS:
        raise Keras2pbError(f"no notebook {notebook!r}; known: {', '.join(NOTEBOOK_STEPS)}")
    here = NOTEBOOK_STEPS[notebook]
    return " → ".join(f"[{s}]" if s in here else s for s in STEPS)


def start(notebook: str, *, keras: bool = True) -> None:
    """Check the TensorFlow (and, unless ``keras=False``, Keras) version and print one line
    with them and where the notebook sits in the lesson.

    A tested or newer version goes on (with a one-line warning for one that is not the
    pinned 2.21); an unsupported one raises UnsupportedVersion, shown by Jupyter as one line,
    which stops Run All. Raises Keras2pbError for an unknown notebook number.
    """
    import tensorflow as tf

    from ..versions import notebook_check

    strip = you_are_here(notebook)
    if keras:
        import keras as keras_module

        notebook_check(tf.__version__, keras_module.__version__)
    else:
        notebook_check(tf.__version__)
    print(f"you are here: {strip}")
