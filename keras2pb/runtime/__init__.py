"""Running a frozen graph: TensorFlow, the C client, OpenCV DNN, ONNX Runtime; verification.

``registry.RUNTIMES`` lists every runtime once; child processes, optional imports and timing
live here too.
"""
