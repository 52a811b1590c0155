"""Notebook 02, exercise 1: a solution. Run it in the notebook after the cells above
the exercise (`%load solutions/02_ex1.py` pastes it into a cell).

One trace per input signature:
"""

fixed = tf.function(loud.python_function,
                    input_signature=[tf.TensorSpec((8, 28, 28, 1), tf.float32)])
free = tf.function(loud.python_function)  # no signature: one trace per new shape
fixed(np.zeros((8, 28, 28, 1), np.float32))
try:
    fixed(np.zeros((16, 28, 28, 1), np.float32))
except (TypeError, ValueError) as exc:
    print("fixed signature refuses batch 16:", type(exc).__name__)
for n in (8, 16, 8):
    free(np.zeros((n, 28, 28, 1), np.float32))
print("traces: fixed", fixed.experimental_get_tracing_count(),
      "- free", free.experimental_get_tracing_count())
