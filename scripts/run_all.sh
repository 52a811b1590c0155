#!/usr/bin/env bash
# The main job: set up .venv (with the optional runtimes: OpenCV, ONNX Runtime, tf2onnx, so
# notebook 05 runs every one of them), then run every tutorial notebook headless, in order.
# Leaves models/mnist_cnn.h5, models/mnist_cnn.pb (+ .pb.json) and build/notebooks/*.html.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
echo "== installing requirements-runtimes.txt (OpenCV, ONNX Runtime, tf2onnx for notebook 05)"
.venv/bin/python -m pip install --quiet -r requirements-runtimes.txt
.venv/bin/python scripts/run_notebooks.py "$@"
