"""Notebook 05, exercise 2: a solution. Run it in the notebook after the cells above
the exercise (`%load solutions/05_ex2.py` pastes it into a cell).

`score` is a Dense layer without activation: `MatMul` + `BiasAdd`, and OpenCV fuses
the bias into the `MatMul` layer, which keeps the `MatMul`'s name:
"""

TWO_CV = PB.with_name("two_io.opencv.pb")
two_side = keras2pb.freeze(keras2pb.two_io_model(), TWO_CV, for_opencv=True)
print("fetch:", two_side["opencv"]["output_layers"])
if HAVE_OPENCV:
    meta = np.random.default_rng(0).random((5, 4), dtype=np.float32)
    two = run_opencv(TWO_CV, {"image": x_test[:5], "meta": meta})
    print({k: v.shape for k, v in two.outputs.items()})
