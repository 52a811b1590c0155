#!/usr/bin/env bash
# Compile predict.c against the C API of the installed TensorFlow pip wheel (no separate
# libtensorflow download): tf.sysconfig gives the headers (include/tensorflow/c/c_api.h) and
# the folder holding libtensorflow_cc.so.2 and libtensorflow_framework.so.2.
#   bash keras2pb/runtime/c/build.sh [OUT]    (default OUT: build/c/predict, below the current folder)
# It ships inside the keras2pb package (a pip install has it too: `keras2pb.runtime.c_client.C_DIR`).
# PYTHON picks the interpreter with TensorFlow (default: .venv/bin/python in the current
# folder, else python3); CC picks the compiler (default: cc).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-build/c/predict}"
python="${PYTHON:-}"
if [[ -z "$python" ]]; then
    python=python3
    if [[ -x .venv/bin/python ]]; then python=.venv/bin/python; fi
fi
cc="${CC:-cc}"
if ! command -v "$cc" >/dev/null 2>&1; then
    echo "build.sh: error: no C compiler ($cc): install one" \
         "(Debian/Ubuntu: apt-get install gcc)" >&2
    exit 1
fi
read -r include lib < <(TF_CPP_MIN_LOG_LEVEL=3 "$python" -c \
    "import tensorflow as tf; print(tf.sysconfig.get_include(), tf.sysconfig.get_lib())")
if [[ ! -f "$include/tensorflow/c/c_api.h" ]]; then
    echo "build.sh: error: $include/tensorflow/c/c_api.h missing:" \
         "this TensorFlow wheel has no C API" >&2
    exit 1
fi
mkdir -p "$(dirname "$out")"
"$cc" -O2 -std=c11 -Wall -Wextra -o "$out" "$here/predict.c" -I"$include" -L"$lib" \
    -l:libtensorflow_cc.so.2 -l:libtensorflow_framework.so.2 -Wl,-rpath,"$lib"
echo "built $out (TensorFlow C API from $lib)"
