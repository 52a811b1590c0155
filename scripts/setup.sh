#!/usr/bin/env bash
# Create (or update) the virtual environment .venv and install keras2pb into it.
# Usage: bash scripts/setup.sh [requirements file]   (default: requirements.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
req="${1:-requirements.txt}"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv with $($python --version)"
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
echo "== installing $req (TensorFlow is ~600 MB on a first install)"
.venv/bin/python -m pip install --quiet -r "$req"
.venv/bin/python -m pip install --quiet --no-deps -e .
# The notebooks' kernel: TF_CPP_MIN_LOG_LEVEL=2 and TF_ENABLE_ONEDNN_OPTS=0 from the kernel's
# start (in JupyterLab, Jupyter Notebook and scripts/run_notebooks.py alike), so TensorFlow's C++
# start-up log lines never reach a cell's output and oneDNN's reordered sums stay off
# (keras2pb.tutorial.KERNEL_ENV says why). Set in a cell, they would come too late.
.venv/bin/python -m ipykernel install --sys-prefix --name python3 \
  --display-name "Python 3 (keras2pb)" \
  --env TF_CPP_MIN_LOG_LEVEL 2 --env TF_ENABLE_ONEDNN_OPTS 0 >/dev/null
echo "== .venv ready: $(.venv/bin/python -c 'import tensorflow as tf, keras
print("tensorflow", tf.__version__, "keras", keras.__version__)' 2>/dev/null)"
