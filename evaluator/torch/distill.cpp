#include "evaluator/torch/distill.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "common/rng.h"
#include "evaluator/torch/trainer.h"

namespace mctsnas::torchnas {

ModelSpec student_spec(const ModelSpec& teacher, double width) {
  if (!(width > 0 && width < 1)) throw Error("distill width must be in (0, 1), got " + std::to_string(width));
  ModelSpec s = teacher;
  // Multiples of 8 divide by every head count the ops use (1, 2, 4, 8).
  const auto d = static_cast<int>(std::lround(teacher.arch.d_model * width / 8.0)) * 8;
  s.arch.d_model = std::max(8, d);
  return s;
}

torch::Tensor model_logits(SeqModel& m, const Batch& b) {
  if (b.labels.defined()) return m->classify(b.src, b.src_pad);
  if (!b.src.defined()) return m->decode(b.tgt_in, b.tgt_pad);
  return m->decode(b.tgt_in, b.tgt_pad, m->encode(b.src, b.src_pad), b.src_pad);
}

torch::Tensor distill_loss(SeqModel& student, SeqModel& teacher, const TextTask& task, const Batch& b,
                           const DistillOptions& o) {
  torch::Tensor soft;
  {
    torch::NoGradGuard no_grad;
    soft = torch::softmax(model_logits(teacher, b).to(torch::kFloat) / o.temperature, -1);
  }
  const auto logits = model_logits(student, b).to(torch::kFloat);
  const auto log_p = torch::log_softmax(logits / o.temperature, -1);
  // KL(soft || student) per position, over the positions the task loss counts.
  auto kl = (soft * (torch::log(soft.clamp_min(1e-12)) - log_p)).sum(-1);
  if (!b.labels.defined()) {
    const auto keep = b.tgt_out.ne(0).to(torch::kFloat);
    kl = (kl * keep).sum() / keep.sum().clamp_min(1.0);
  } else {
    kl = kl.mean();
  }
  return o.alpha * o.temperature * o.temperature * kl + (1 - o.alpha) * task.loss(student, b);
}

void train_from_teacher(SeqModel& student, SeqModel& teacher, const TextTask& task, const TrainOptions& train,
                        const DistillOptions& o, uint64_t seed) {
  if (!(o.temperature > 0)) throw Error("distill temperature must be > 0, got " + std::to_string(o.temperature));
  if (!(o.alpha >= 0 && o.alpha <= 1)) throw Error("distill alpha must be in [0, 1], got " + std::to_string(o.alpha));
  teacher->eval();
  TrainSettings ts;
  ts.train = train;
  ts.seed = seed;
  ts.loss = [&](SeqModel& m, const Batch& b) { return distill_loss(m, teacher, task, b, o); };
  torch::manual_seed(hash_combine(seed, 1));
  const auto out = train_model(student, task, ts, StopToken{}, nullptr);
  if (out.status != TrialStatus::ok)
    throw Error(std::string("training from the teacher ended with status ") + to_string(out.status) +
                (out.error.empty() ? "" : ": " + out.error));
  student->eval();
}

SeqModel train_student(SeqModel& teacher, const ModelSpec& teacher_spec, const TextTask& task,
                       const TrainOptions& train, const DistillOptions& o, uint64_t seed) {
  torch::manual_seed(seed);
  auto student = build_model(student_spec(teacher_spec, o.width), task.shape());
  train_from_teacher(student, teacher, task, train, o, seed);
  return student;
}

}  // namespace mctsnas::torchnas
