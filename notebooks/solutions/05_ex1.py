"""Notebook 05, exercise 1: a solution. Run it in the notebook after the cells above
the exercise (`%load solutions/05_ex1.py` pastes it into a cell).

A batch of 200 digits in each runtime (compare the µs per digit with batch 1):
"""

batch = {"TensorFlow": median_ms(lambda: frozen(x_test), repeats=10)}
blob = np.ascontiguousarray(x_test.transpose(0, 3, 1, 2))
if HAVE_OPENCV:
    batch["OpenCV DNN"] = median_ms(lambda: (net.setInput(blob, INPUT),
                                             net.forward(cv_info["output_layers"][0])), repeats=10)
if HAVE_OPENCV and HAVE_ONNX:
    batch["OpenCV via ONNX"] = median_ms(lambda: (net_onnx.setInput(x_test, f"{INPUT}:0"),
                                                  net_onnx.forward(f"{OUTPUT}:0")), repeats=10)
if HAVE_ONNX:
    batch["ONNX Runtime"] = median_ms(lambda: session.run(None, {f"{INPUT}:0": x_test}), repeats=10)
if HAVE_OPENVINO:
    batch["OpenVINO"] = median_ms(lambda: ov_model(x_test), repeats=10)
for name, ms in batch.items():
    print(f"{name:15s} {1e3 * ms / len(x_test):6.1f} µs per digit at batch 200, "
          f"{1e3 * latency[name]:6.1f} µs at batch 1")
if HAVE_OPENCV:
    faster = lambda d: "faster" if d["OpenCV DNN"] < d["TensorFlow"] else "slower"
    print(f"OpenCV vs TensorFlow: {faster(latency)} at batch 1, "
          f"{faster(batch)} per digit at batch 200")
