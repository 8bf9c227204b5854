#!/usr/bin/env bash
# The one-shot GPU figure, as one command on a CUDA machine without network (see benchmarks/README.md):
#     bash benchmarks/gpu.sh [benchmarks/gpu.py options]
# Installs what the machine lacks (PyAV; a transformers with Molmo2) from the wheels kept in
# benchmarks/wheels (or $WHEELS), never from the network, then runs benchmarks/gpu.py within 8 minutes.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
py="${PYTHON:-python3}"
wheels="${WHEELS:-$here/wheels}"

need=()
"$py" -c "import av" 2>/dev/null || need+=("av")
"$py" - <<'PY' 2>/dev/null || need+=("transformers>=5.23")
import sys
import transformers
from packaging.version import Version
sys.exit(0 if Version(transformers.__version__) >= Version("5.23") and hasattr(transformers, "Molmo2ForConditionalGeneration") else 1)
PY
if [ ${#need[@]} -gt 0 ]; then
    if [ ! -d "$wheels" ]; then
        echo "gpu.sh: missing ${need[*]} and no wheel folder at $wheels (see benchmarks/README.md)" >&2
        exit 2
    fi
    echo "installing ${need[*]} from $wheels (no network)"
    "$py" -m pip install --quiet --no-index --find-links "$wheels" "${need[@]}" \
        || "$py" -m pip install --quiet --user --no-index --find-links "$wheels" "${need[@]}"
fi

export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec timeout 450 "$py" "$here/gpu.py" "$@"
