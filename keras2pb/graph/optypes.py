"""One op taxonomy: which ops and nodes belong to training only, and why (no imports of ours).

Used by ``checks.training_op_reason`` (is a frozen graph clean?) and by the viewer's diff
(why did a training-step node vanish?). Op-type rules come first; name rules (the first name
scope, words such as ``loss``) only refine the viewer's guess, never the frozen-graph check.
"""

from __future__ import annotations

import re

#: Ops that hold, read or write variables.
VARIABLE_OPS = frozenset({
    "VarHandleOp", "VariableV2", "Variable", "ReadVariableOp", "AssignVariableOp",
    "AssignAddVariableOp", "AssignSubVariableOp", "Assign", "AssignAdd", "AssignSub",
    "VarIsInitializedOp", "DestroyResourceOp", "IsVariableInitialized",
})
#: Of those, the ones that only hold or read a variable (the rest write one).
VARIABLE_READ_OPS = frozenset({
    "VarHandleOp", "VariableV2", "Variable", "ReadVariableOp", "VarIsInitializedOp",
    "IsVariableInitialized", "DestroyResourceOp",
})
#: Fused optimizer kernels (``ResourceApplyAdam``...).
OPTIMIZER_PREFIXES = ("ResourceApply", "ResourceSparseApply", "Apply", "SparseApply")
#: Other variable writes (scatter updates).
UPDATE_PREFIXES = ("ResourceScatter", "ScatterUpdate", "ScatterAdd", "ScatterSub")
RANDOM_PREFIXES = ("Random", "StatelessRandom", "StatefulRandom", "StatelessTruncated",
                   "TruncatedNormal", "Multinomial", "ParameterizedTruncatedNormal")
#: Ops that exist only to compute gradients.
GRADIENT_OPS = frozenset({"BroadcastGradientArgs", "Conv2DBackpropFilter",
                          "SparseSoftmaxCrossEntropyWithLogits", "SoftmaxCrossEntropyWithLogits"})
#: Name scopes of gradient computation (GradientTape, TF1 ``tf.gradients``).
GRADIENT_SCOPES = ("gradient_tape", "gradients")
#: First name scopes of optimizers (Keras 3 names them after the class: ``adam/...``).
OPTIMIZER_SCOPES = frozenset({
    "adam", "adamw", "sgd", "rmsprop", "adagrad", "adadelta", "adamax", "nadam", "ftrl",
    "lion", "lamb", "optimizer", "training"})
#: A name scope of a BatchNormalization layer (Keras: ``batch_normalization``, ResNet's
#: ``conv2_block1_1_bn``, a user's ``bn1`` traced as ``bn1_1``) or of its batch moments.
BATCHNORM_SCOPE = re.compile(r"batch_?norm\w*|(\w+_)?bn\d*(_\d+)?|moments|assignmovingavg\w*")
LOSS_WORDS = ("loss", "crossentropy", "metric", "accuracy", "mean", "label")
#: Fused loss kernels (they also compute the loss's gradient, hence in GRADIENT_OPS too).
LOSS_OPS = frozenset({"SparseSoftmaxCrossEntropyWithLogits", "SoftmaxCrossEntropyWithLogits"})

#: The names tf.function gives a function's outputs (``Identity``, ``Identity_1``, …, in the
#: order returned) and the node through which it waits for its side effects (``NoOp``), with
#: no name scope; ``convert_variables_to_constants_v2`` keeps them. Every traced function has
#: them, so two graphs' nodes of such a name are one node only if they have the same inputs.
GENERIC_NAME = re.compile(r"(Identity|NoOp)(_\d+)?")

#: Why a training-step node is missing from the inference graph, in legend order;
#: (key, legend text). Keys are stable (notebooks use them); texts are for people.
CATEGORIES = (
    ("optimizer", "optimizer"),
    ("gradient", "gradients"),
    ("loss", "loss & metrics"),
    ("random", "dropout randomness"),
    ("batchnorm", "batch-norm batch statistics"),
    ("update", "other variable updates"),
    ("variable", "variables & reads"),
    ("other", "other"),
)
CATEGORY_LABELS = dict(CATEGORIES)
#: What freezing does to a kept node, in plain words: (op before, op after) -> text.
FREEZE_CHANGES = {
    ("Placeholder", "Const"): "variable handles → constants",
    ("ReadVariableOp", "Identity"): "variable reads → Identity of a constant",
    ("VarHandleOp", "Const"): "variable handles → constants",
}


def is_gradient(name: str, op: str) -> bool:
    """True for gradient ops, by op type or by a first name scope such as ``gradient_tape/``."""
    if op in GRADIENT_OPS or op.endswith("Grad") or "Backprop" in op:
        return True
    return name.split("/", 1)[0].lower() in GRADIENT_SCOPES


def is_random(op: str) -> bool:
    """True for ops that draw random numbers."""
    return op.startswith(RANDOM_PREFIXES)


def is_optimizer_op(op: str) -> bool:
    """True for fused optimizer kernels (``ResourceApplyAdam``...)."""
    return op.startswith(OPTIMIZER_PREFIXES)


def is_variable_write(op: str) -> bool:
    """True for ops that write a variable (assignments, scatter updates, optimizer kernels)."""
    return ((op in VARIABLE_OPS and op not in VARIABLE_READ_OPS) or is_optimizer_op(op)
            or op.startswith(UPDATE_PREFIXES))


def training_reason(name: str, op: str, resource: bool = False) -> str | None:
    """Why a node has no place in a frozen inference graph, by op type; None if it may stay.

    Out: "variable", "resource" (a variable handle fed from outside), "optimizer",
    "gradient" or "random". Names are only used for the ``gradient_tape/`` scope.
    """
    if op in VARIABLE_OPS:
        return "variable"
    if op == "Placeholder" and resource:
        return "resource"
    if is_optimizer_op(op):
        return "optimizer"
    if op in GRADIENT_OPS or op.endswith("Grad") or "gradient_tape/" in name:
        return "gradient"
    if is_random(op):
        return "random"
    return None


def category(name: str, op: str, resource: bool = False) -> str:
    """Return why a training-step node has no place in an inference graph (a CATEGORIES key).

    In: the node's name, op type, and whether it outputs a resource (a variable handle).
    Out: "optimizer" (its scope, or a fused optimizer kernel), "gradient" (also a top-level
    ``AddN``: the tape summing gradients; the diff, which sees inputs, gives the nodes of
    ``passes_on`` their inputs' reason instead), "loss", "random" (dropout and other randomness),
    "batchnorm" (BatchNorm's batch mean/variance and moving-average updates, used in training
    only), "update" (other variable writes), "variable" (handles and reads) or "other".
    """
    first = name.split("/", 1)[0].lower().rstrip("_0123456789")
    if op in LOSS_OPS:
        return "loss"
    if is_gradient(name, op) or (op == "AddN" and "/" not in name):
        return "gradient"
    if first in OPTIMIZER_SCOPES or is_optimizer_op(op):
        return "optimizer"
    if is_random(op) or "dropout" in name.lower():
        return "random"
    if any(BATCHNORM_SCOPE.fullmatch(part) for part in name.lower().split("/")[:-1]):
        return "batchnorm"
    if is_variable_write(op):
        return "update"
    if op in VARIABLE_READ_OPS or resource:
        return "variable"
    low = name.lower()
    if any(w in low for w in LOSS_WORDS):
        return "loss"
    return "other"


def is_generic(name: str) -> bool:
    """True for a function's generic output or control node: ``Identity``, ``NoOp_1``..."""
    return GENERIC_NAME.fullmatch(name) is not None


def passes_on(name: str, op: str) -> bool:
    """True for nodes that only pass on, sum or wait for their inputs at the top level: a
    function's ``Identity``/``NoOp`` (see GENERIC_NAME) and an ``AddN`` without a scope (the
    tape's sum of gradients, or the sum of a model's losses). Such a node has no reason of its
    own to vanish: it goes for its inputs' reason (see ``viewer.diff``)."""
    return is_generic(name) or (op == "AddN" and "/" not in name)


def freeze_change(before: str, after: str) -> str:
    """Plain words for a node whose op type freezing changed (``before`` → ``after``)."""
    return FREEZE_CHANGES.get((before, after), f"{before} → {after}")
