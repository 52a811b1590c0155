#!/usr/bin/env bash
# A wheelhouse for a room without network: download every wheel once, then install offline.
#
#   bash scripts/wheelhouse.sh download [DIR]   # with network, once: fill DIR (wheelhouse/)
#   bash scripts/wheelhouse.sh install [DIR]    # offline, on each laptop: scripts/setup.sh
#                                               # with pip --no-index --find-links DIR
#
# pip downloads the wheels for the machine it runs on: download on the same OS, CPU type and
# Python version as the laptops, or add pip's --platform, --python-version and
# --only-binary=:all: in PIP_ARGS. Settings: REQUIREMENTS (requirements.txt), PYTHON (python3),
# WHEELHOUSE_EXTRA (what else to download: pip, and setuptools and wheel, which pip needs to
# install keras2pb itself).
set -euo pipefail
here="$PWD"
cd "$(dirname "$0")/.."
usage="usage: bash scripts/wheelhouse.sh download|install [DIR]"
cmd="${1:-}"
dir="${2:-wheelhouse}"  # a DIR given is relative to where you are; the default, to the repo
case "$dir" in /*) ;; *) if [ -n "${2:-}" ]; then dir="$here/$dir"; fi ;; esac
req="${REQUIREMENTS:-requirements.txt}"
python="${PYTHON:-python3}"
extra="${WHEELHOUSE_EXTRA-pip setuptools>=77 wheel}"
case "$cmd" in
  download)
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    # shellcheck disable=SC2086  # PIP_ARGS and the extra packages are word lists
    "$python" -m pip download --dest "$dir" ${PIP_ARGS:-} -r "$req" $extra
    echo "== $(find "$dir" -maxdepth 1 -type f | wc -l) files ($(du -sh "$dir" | cut -f1)) in $dir"
    echo "== on each laptop, offline: bash scripts/wheelhouse.sh install $dir"
    ;;
  install)
    if [ ! -d "$dir" ] || [ -z "$(ls -A "$dir")" ]; then
      echo "error: $dir: no wheelhouse there (run: bash scripts/wheelhouse.sh download $dir)" >&2
      exit 1
    fi
    dir="$(cd "$dir" && pwd)"
    PIP_NO_INDEX=1 PIP_FIND_LINKS="$dir" bash scripts/setup.sh "$req"
    ;;
  *)
    echo "$usage" >&2
    exit 2
    ;;
esac
