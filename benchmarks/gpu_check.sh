#!/usr/bin/env bash
# The one prepared run for a CUDA machine with CuPy and PyTorch: the GPU tests,
# training on the full data with --backend cupy, its evaluation, and the
# benchmark against torch on CUDA. Outputs go to $OUT (default /tmp/gpu_check).
#
#   EMOTION_DATA_DIR=path/to/emotion bash benchmarks/gpu_check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
DATA=${EMOTION_DATA_DIR:-.data/emotion}
OUT=${OUT:-/tmp/gpu_check}
mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$OUT/gpu.txt"
python -c "import cupy, torch; print('cupy', cupy.__version__, 'torch', torch.__version__)" | tee -a "$OUT/gpu.txt"
python -m pytest -q -m gpu tests/test_gpu.py -p no:cacheprovider 2>&1 | tee "$OUT/gpu_tests.txt"
python -m gradcheck --backend cupy 2>&1 | tee "$OUT/gpu_gradcheck.txt"
rm -rf /tmp/gpu_run
python train.py --backend cupy --data-dir "$DATA" --out /tmp/gpu_run --no-progress 2>&1 | tee "$OUT/gpu_train.txt"
python eval.py /tmp/gpu_run --backend cupy --data-dir "$DATA" --heatmaps 0 2>&1 | tee "$OUT/gpu_eval.txt"
python -m minitransformer.bench --backend cupy --no-memory --json "$OUT/gpu_bench.json" 2>&1 | tee "$OUT/gpu_bench.txt"
