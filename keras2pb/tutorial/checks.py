"""Offline self-checks for the notebooks' checkpoints: predict, then ``check(name, answer)``.

Like otter-grader's public checks, with no server: each checkpoint knows its answer, a hint
that does not give it away, and why the answer is what it is. ``check`` prints ``right: …``
or ``not yet: …`` (with the hint) and returns True or False.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import Keras2pbError


def _number(answer: Any) -> float | None:
    try:
        return float(answer)
    except (TypeError, ValueError):
        return None


def _words(answer: Any) -> str:
    return " ".join(str(answer).lower().replace("_", " ").split()) if answer is not None else ""


def equals(expected: float) -> Callable[[Any], bool]:
    """Right when the answer is the number ``expected``."""
    return lambda answer: _number(answer) == expected


def between(low: float, high: float) -> Callable[[Any], bool]:
    """Right when the answer is a number from ``low`` to ``high``."""
    return lambda answer: (n := _number(answer)) is not None and low <= n <= high


def one_of(*words: str) -> Callable[[Any], bool]:
    """Right when the answer, as words (case and ``_`` ignored), is one of ``words``."""
    wanted = {_words(w) for w in words}
    return lambda answer: _words(answer) in wanted


def is_false(answer: Any) -> bool:
    """Right when the answer is False (or "no")."""
    return answer is False or _words(answer) in {"no", "false"}


def is_true(answer: Any) -> bool:
    """Right when the answer is True (or "yes")."""
    return answer is True or _words(answer) in {"yes", "true"}


@dataclass(frozen=True)
class Checkpoint:
    """One prediction a learner makes before the cell that reveals it."""

    question: str
    right: Callable[[Any], bool]
    hint: str
    why: str


#: Every checkpoint of the notebooks, by name (``NN-what``).
CHECKPOINTS: dict[str, Checkpoint] = {
    "01-biggest-layer": Checkpoint(
        "Which layer holds most of the CNN's parameters?", one_of("dense"),
        "a Dense layer has one weight per (input, unit) pair; what comes out of Flatten?",
        "`dense` takes the 1,600 flattened features to 128 units: 1,600 × 128 + 128 = 204,928 "
        "of the 225,034 parameters."),
    "01-adam-state": Checkpoint(
        "How many times the size of the weights is Adam's state in the .h5 (a number)?",
        between(1.9, 2.1),
        "Adam keeps running averages of the gradient and of its square: how many per weight?",
        "two moment estimates per weight (plus a step counter): about 2 × the weights."),
    "01-resume-h5": Checkpoint(
        "Can a model loaded from the .h5 with compile=True keep training in Keras 3.15 "
        "(True or False)?", is_false,
        "the file holds the optimizer's state, but does the optimizer Keras rebuilds know "
        "the loaded variables?",
        "Keras 3.15 rebuilds a fresh optimizer that refuses the loaded variables "
        "(ValueError: Unknown variable): the state is stored, training does not resume."),
    "02-print-runs": Checkpoint(
        "A Python print sits inside a traced function. You call the function 3 times with "
        "3 batch sizes. How many times does the print run?", equals(1),
        "a print is Python, not a TensorFlow op: when does the Python body of a tf.function "
        "run?",
        "once, while tracing: the graph records TensorFlow ops, and a print is not one. The "
        "input_signature (any batch size) makes one trace serve every call."),
    "02-freeze-removes": Checkpoint(
        "How many nodes will freezing (convert_variables_to_constants_v2) remove from the "
        "inference trace?", equals(0),
        "what is left to remove once tracing recorded only the forward pass?",
        "none: freezing swaps each variable handle for a Const and each ReadVariableOp for an "
        "Identity. The training ops were never recorded by this trace."),
    "02-dropout-ops": Checkpoint(
        "How many nodes does Dropout add to the trace of model(x, training=False)?",
        equals(0),
        "read Dropout.call above: what does it do when training is False?",
        "none: `if training` is Python, so the trace records only `return inputs`."),
    "03-feed-name": Checkpoint(
        "After import_graph_def(graph_def, name='import'), which tensor do you feed?",
        one_of("import/image:0"),
        "name= is a prefix added to every node name, and a tensor is node:output_index.",
        "`import/image:0`: the prefix is added at import; the file itself says `image`."),
    "03-prefix-in-file": Checkpoint(
        "Is the `import/` prefix stored in the .pb file (True or False)?", is_false,
        "print the first node names of graph_def, read straight from the file.",
        "no: the file says `image`; `import/` is added by import_graph_def(name='import')."),
    "04-bn-freeze-removes": Checkpoint(
        "How many nodes will freezing remove from the BatchNorm CNN's inference trace?",
        equals(0),
        "BatchNorm in inference mode is arithmetic over its moving statistics: variables, "
        "read by ReadVariableOp.",
        "none, as for the plain CNN: freezing turns variables into constants and removes "
        "nothing; the training ops were never traced."),
    "04-gradients-gone-at": Checkpoint(
        "The gradients: gone at tracing or at freezing?", one_of("tracing", "at tracing"),
        "look at the diff's counts: how many nodes did freezing remove?",
        "at tracing: `model(x, training=False)` computes no loss, so no gradient was ever "
        "recorded."),
}


def check(name: str, answer: Any) -> bool:
    """Check a prediction for the checkpoint ``name``: print right or not yet, return a bool.

    ``answer`` ``None`` (or ``...``) means not answered yet. Raises Keras2pbError for an
    unknown checkpoint name.
    """
    try:
        point = CHECKPOINTS[name]
    except KeyError:
        raise Keras2pbError(f"no checkpoint named {name!r}; known: "
                            f"{', '.join(CHECKPOINTS)}") from None
    if answer is None or answer is ...:
        print(f"not yet: no answer. {point.question} Hint: {point.hint}")
        return False
    if point.right(answer):
        print(f"right: {point.why}")
        return True
    print(f"not yet: {answer!r} is not it. Hint: {point.hint}")
    return False
