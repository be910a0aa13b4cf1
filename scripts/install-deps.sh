#!/usr/bin/env bash
# Installs every Debian 12 package mctsnas needs to build, test and run.
# Safe to run twice: apt-get skips what is already installed.
#   scripts/install-deps.sh          build + test dependencies
#   scripts/install-deps.sh --data   also the packages the text-task data script uses
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libtorch-dev libopenblas0-openmp          # LibTorch (CPU) and a fast BLAS for it
  libtbb-dev libboost-dev libyaml-cpp-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev libhwloc-dev
  libsentencepiece-dev                      # task.tokenizer: sentencepiece
  catch2
  clang libclang-rt-14-dev                  # libFuzzer for the config fuzz target
  graphviz                                  # cells.svg and DOT checks in tests
  universal-ctags                           # scripts/function-lengths.sh (a ctest)
  libopenmpi-dev openmpi-bin                # one search across hosts under mpirun (MCTSNAS_WITH_MPI)
  python3 python3-torch python3-numpy       # PyTorch parity of exported models, step-time bench
  python3-sentencepiece                     # model.py of a sentencepiece model
)
if [[ "${1:-}" == "--data" ]]; then
  packages+=(bible-kjv-text bible-kjv npm)
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all ${#packages[@]} packages already installed"
fi
