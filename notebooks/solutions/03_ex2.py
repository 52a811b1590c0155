"""Notebook 03, exercise 2: a solution. Run it in the notebook after the cells above
the exercise (`%load solutions/03_ex2.py` pastes it into a cell).

A wrong shape, two error messages:
"""

flat = x_test[..., 0]
try:
    frozen(flat)
except keras2pb.Keras2pbError as exc:
    print("keras2pb:", exc)
try:
    with tf.compat.v1.Session(graph=graph) as sess:
        sess.run(f"import/{OUTPUT}:0", feed_dict={f"import/{INPUT}:0": flat})
except ValueError as exc:
    print("Session: ", str(exc).splitlines()[0])
