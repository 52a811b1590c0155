#!/usr/bin/env bash
# The main job: set up .venv, then run every tutorial notebook headless, in order.
# Leaves models/mnist_cnn.h5, models/mnist_cnn.pb (+ .pb.json) and build/notebooks/*.html.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
.venv/bin/python scripts/run_notebooks.py "$@"
