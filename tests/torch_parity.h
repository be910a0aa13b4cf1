#pragma once
// Export parity for the LibTorch tests: runs the generated model.py of exported
// models with Debian's python3 (python3-torch) on the inputs the C++ model saw, and
// compares the outputs.
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "evaluator/torch/seq_model.h"

namespace mctsnas::test {

// A python3 that imports torch ($MCTSNAS_PYTHON, /usr/bin/python3, python3); ""
// (and the caller skips its PyTorch half) when there is none.
std::string python_with_torch();

// Random weights everywhere (LayerNorm gains and biases too), so nothing matches by
// accident of initialisation.
void randomize(torchnas::SeqModel& m, uint64_t seed);

// One forward of a model on fixed padded token batches: `call` is decode (a decoder,
// after encode for encoder_decoder models), classify or encode (encoder_only).
struct ParityForward {
  std::string call;
  torch::Tensor src, tgt;   // undefined where the model has no such input
};
ParityForward parity_forward(const torchnas::ModelSpec& spec, const torchnas::ModelShape& shape,
                             const std::string& call);
// The forward's output as doubles, in C++.
torch::Tensor run_forward(torchnas::SeqModel& model, const ParityForward& f);

// An exported model (model.py and weights.pt in dir) and what the C++ model gave.
struct ParityJob {
  std::filesystem::path dir;
  ParityForward forward;
  torch::Tensor expected;   // run_forward's output
  int64_t params = 0;       // the C++ model's parameter count
};

struct ParityOutcome {
  std::string error;        // model.py failed: its traceback
  double max_diff = 0;      // max |python - C++|
  bool same_params = false; // model.py's parameter count is the C++ one
  bool same_size = false;   // as many outputs
};

// Runs every job's model.py in one python process (scratch files in `work`); the
// outcomes in job order.
std::vector<ParityOutcome> run_parity(const std::string& python, const std::vector<ParityJob>& jobs,
                                      const std::filesystem::path& work);

}  // namespace mctsnas::test
