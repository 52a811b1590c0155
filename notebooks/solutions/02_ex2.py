"""Notebook 02, exercise 2: a solution. Run it in the notebook after the cells above
the exercise (`%load solutions/02_ex2.py` pastes it into a cell).

Two inputs, two outputs:
"""

two = keras2pb.two_io_model()
specs = [tf.TensorSpec(two.inputs[i].shape, two.inputs[i].dtype, name=two.inputs[i].name)
         for i in range(2)]


@tf.function(input_signature=specs)
def serve_two(image, meta):
    out = two({"image": image, "meta": meta}, training=False)
    return tf.identity(out["digit"], name="digit"), tf.identity(out["score"], name="score")


frozen_two = convert_variables_to_constants_v2(serve_two.get_concrete_function())
print("feed: ", [t.name for t in frozen_two.inputs])
print("fetch:", [t.name for t in frozen_two.outputs], "(also digit:0 and score:0)")
