#pragma once
// What one serving request runs, from an exported model alone (no dataset, so a plan
// can be measured on a server that has only best/): a batch of full-length inputs, the
// shapes the trials' latency figures use (TextTask::example_batch and infer) —
//   lm        one next-byte step over a max_len context (no KV cache)
//   g2p,      a whole greedy decode of max_len - 1 steps, never stopping early, so the
//   seq2seq   time does not depend on what the weights happen to emit
//   classify  the labels' logits for max_len bytes
#include <torch/torch.h>

#include <cstdint>

#include "evaluator/torch/export_model.h"
#include "evaluator/torch/text_tasks.h"

namespace mctsnas::torchnas {

struct ServeRequest {
  std::string task;          // lm | g2p | classify | seq2seq
  torch::Tensor ids, pad;    // [B, max_len] input bytes (as ids) and their padding mask
  int64_t decode_steps = 0;  // g2p, seq2seq
  DecodeTokens tokens;
  ServeRequest to(const torch::Device& d) const;
};

ServeRequest make_serve_request(const ExportedModelInfo& info, int64_t batch);

// Runs one request; the returned tensor is what a server would read back.
torch::Tensor serve(SeqModel& model, const ServeRequest& r);

}  // namespace mctsnas::torchnas
