# Sourced (not run) by the bench/*_gpu.sh scripts on the GPU machine, from the source
# tree to build (shared/gpu/README.md recipe): unpacks the Debian packages the build
# needs (.offline/debs, or $MCTSNAS_OFFLINE/debs: those of shared/gpu/README.md plus
# libfmt, libcli11, libhwloc, nlohmann-json, libsentencepiece-dev and libsentencepiece0),
# finds the LibTorch of the machine's PyTorch wheel, and defines
#   gpu_build TARGET...   configure (once) and build those targets in $GPU_BUILD
#                         (default /tmp/b), log in $out/build.log; returns the build's rc
#   gpu_machine           GPU model, driver, CPU, torch/CUDA versions, date, commit
# It sets $out (= $OUT, or /tmp/out) and LD_LIBRARY_PATH for the unpacked libraries.
out=${OUT:-/tmp/out}
mkdir -p "$out"
GPU_BUILD=${GPU_BUILD:-/tmp/b}
_offline=${MCTSNAS_OFFLINE:-.offline}
mkdir -p /tmp/p && for d in "$_offline"/debs/*.deb; do dpkg-deb -x "$d" /tmp/p; done
TORCH_PREFIX=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
export LD_LIBRARY_PATH=/tmp/p/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

gpu_build() {
  local t0 rc
  t0=$(date +%s)
  if [[ ! -f $GPU_BUILD/CMakeCache.txt ]]; then
    # -include cstdint: g++ 13 no longer pulls <cstdint> in through other headers.
    cmake -B "$GPU_BUILD" -S . -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="-include cstdint" \
      -DCMAKE_PREFIX_PATH="$TORCH_PREFIX;/tmp/p/usr/lib/x86_64-linux-gnu/cmake;/tmp/p/usr" >> "$out/build.log" 2>&1 ||
      { echo "configure failed (see build.log)"; grep -m5 -A5 "Error" "$out/build.log"; return 1; }
  fi
  cmake --build "$GPU_BUILD" -j"$(nproc)" --target "$@" >> "$out/build.log" 2>&1
  rc=$?
  echo "build $* rc=$rc in $(( $(date +%s) - t0 )) s"
  [[ $rc == 0 ]] || grep -m5 -A8 "error:" "$out/build.log"
  return $rc
}

gpu_machine() {
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  lscpu | grep -E "^(Model name|CPU\(s\)|Thread|Core|Socket)"
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'
  [[ -f COMMIT ]] && echo "commit $(cat COMMIT)" || git rev-parse --short HEAD 2>/dev/null | sed 's/^/commit /'
  date -u
}
