#!/usr/bin/env bash
# Compression of a search's winner on this CPU (bench/results/compress.md):
# exports RUN_DIR's best trial when it is not exported yet, runs `mctsnas compress`
# (int8, distill, prune) at each thread count, prints every variant's figures (task
# metric on validation and test, weights on disk, batch-1/32 latency, load time), then
# measures the documented Python path for int8 (torch.ao.quantization.quantize_dynamic
# on model.py's fp32 model) against the C++ int8 and fp32 models' predictions (g2p and
# classify runs).
# Usage: bench/compress.sh BUILD/app/mctsnas RUN_DIR [THREADS...]   (default threads: 1 2)
set -euo pipefail
bin=$(realpath "$1"); run=$(realpath "$2"); shift 2
threads=("${@:-1}"); [[ $# -gt 0 ]] || threads=(1 2)
here=$(cd "$(dirname "$0")" && pwd)
echo "# $(date -u +%F) $(uname -m), $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)"
[[ -f $run/best/model.json ]] || "$bin" export "$run" > /dev/null
for t in "${threads[@]}"; do
  echo "## $bin compress $run --threads $t"
  "$bin" compress "$run" --threads "$t" | grep -v '^measuring\|^wrote'
done
if /usr/bin/python3 -c "import torch" 2> /dev/null; then
  echo "## int8 in Python (quantize_dynamic on model.py) against the C++ models"
  /usr/bin/python3 "$here/int8_python_agreement.py" "$bin" "$run"
else
  echo "(skipped the Python int8 check: /usr/bin/python3 has no torch; apt-get install python3-torch)"
fi
