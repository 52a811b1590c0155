#!/usr/bin/env bash
# The fast tests on the OLDEST supported TensorFlow (requirements-oldest.txt), in a second venv
# .venv-oldest beside .venv. Every other pin comes from requirements-test.txt, so only the
# TensorFlow stack differs. A re-run with pip's cache warm only checks what is installed.
# Extra arguments go to pytest (default: quiet). It runs the fast tier (tests/unit: freeze, load,
# legacy .h5, private-API canaries, versions, errors, ...) and the tf2onnx export tests; the
# end-to-end tests (browser, JupyterLab, notebooks, OpenCV, C client) run on the pinned version
# in scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-oldest
python="${PYTHON:-python3}"
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
# requirements-test.txt and the files it includes, without the lines requirements-oldest.txt owns
# (and without the setuptools pin: TensorBoard 2.19 imports pkg_resources, which setuptools 84
# no longer has; the venv keeps the setuptools it was created with)
rest="$(mktemp)"
trap 'rm -f "$rest"' EXIT
cat requirements.txt requirements-runtimes.txt requirements-test.txt \
  | grep -v -E '^\s*(-r|#|$)' \
  | grep -v -i -E \
      '^(tensorflow|tensorflow-cpu|tensorboard|keras|numpy|protobuf|h5py|onnx|setuptools)\s*[=<>~;]' \
  > "$rest"
echo "== installing requirements-oldest.txt into $venv"
"$venv/bin/python" -m pip install --quiet -r requirements-oldest.txt -r "$rest"
"$venv/bin/python" -m pip install --quiet --no-deps -e .
# The notebooks' kernel, as scripts/setup.sh installs it (its environment from its start).
"$venv/bin/python" -m ipykernel install --sys-prefix --name python3 \
  --display-name "Python 3 (keras2pb)" \
  --env TF_CPP_MIN_LOG_LEVEL 2 --env TF_ENABLE_ONEDNN_OPTS 0 >/dev/null
echo "== $venv: $("$venv/bin/python" -c 'import tensorflow as tf, keras
print("tensorflow", tf.__version__, "keras", keras.__version__)' 2>/dev/null)"
echo "== pytest (fast tier, oldest TensorFlow)"
"$venv/bin/python" -m pytest tests/unit tests/e2e/test_onnx_export.py -p no:cacheprovider "${@:--q}"
