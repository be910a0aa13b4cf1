#include "evaluator/torch/serve_request.h"

#include "common/error.h"

namespace mctsnas::torchnas {

ServeRequest ServeRequest::to(const torch::Device& d) const {
  ServeRequest r = *this;
  r.ids = ids.to(d);
  r.pad = pad.to(d);
  return r;
}

ServeRequest make_serve_request(const ExportedModelInfo& info, int64_t batch) {
  if (batch < 1) throw Error("a serving request needs a batch of at least 1, got " + std::to_string(batch));
  const auto& v = info.vocab;
  ServeRequest r;
  r.task = info.task;
  const int64_t len = info.shape.max_len;
  // Any token will do for timing; 'a' keeps G2P's input inside its training alphabet,
  // and a tokenizer's first id (a byte, a piece) is in its own.
  const int64_t id = v.contains("first") ? v.at("first").get<int64_t>() : 'a' + v.value("byte_offset", int64_t{1});
  r.ids = torch::full({batch, len}, id, torch::kLong);
  r.pad = torch::zeros({batch, len}, torch::kBool);
  if (info.task == "g2p" || info.task == "seq2seq") {
    r.decode_steps = len - 1;
    r.tokens = {v.value("bos", int64_t{1}), v.value("eos", int64_t{2})};
  } else if (info.task != "lm" && info.task != "classify") {
    throw Error("serving: no request shape for task '" + info.task + "' (lm, g2p, classify or seq2seq)");
  }
  return r;
}

torch::Tensor serve(SeqModel& model, const ServeRequest& r) {
  if (r.task == "g2p" || r.task == "seq2seq")
    return greedy_decode(model, r.ids, r.pad, r.decode_steps, r.tokens, /*stop_early=*/false);
  if (r.task == "lm") return model->decode(r.ids, r.pad).select(1, r.ids.size(1) - 1);
  return model->classify(r.ids, r.pad);
}

}  // namespace mctsnas::torchnas
