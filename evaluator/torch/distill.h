#pragma once
// Distillation (compress's "distill" variant): a student with the teacher's cells at a
// smaller width (d_model) trained on the task's training split from the teacher's
// soft targets: loss = alpha * T^2 * KL(teacher_T || student_T) + (1 - alpha) * task
// loss, where _T is softmax(logits / T) over the same positions the task loss counts.
#include <cstdint>

#include "evaluator/task_options.h"
#include "evaluator/torch/seq_model.h"
#include "evaluator/torch/text_tasks.h"

namespace mctsnas::torchnas {

struct DistillOptions {
  double width = 0.5;         // the student's d_model / the teacher's (rounded to a multiple of 8, >= 8)
  double temperature = 2.0;
  double alpha = 0.5;         // weight of the soft-target term
};

// The teacher's spec at width * d_model.
ModelSpec student_spec(const ModelSpec& teacher, double width);

// The logits the task loss reads: classify [B, classes], lm and g2p [B, T, vocab].
torch::Tensor model_logits(SeqModel& model, const Batch& b);

torch::Tensor distill_loss(SeqModel& student, SeqModel& teacher, const TextTask& task, const Batch& b,
                           const DistillOptions& o);

// Trains `student` on the CPU as a trial trains (the run's trainer and schedule,
// batches seeded by `seed`) with distill_loss against `teacher`: the distilled
// student's training and the pruned model's fine-tuning (prune.h). Error when
// training does not end ok.
void train_from_teacher(SeqModel& student, SeqModel& teacher, const TextTask& task, const TrainOptions& train,
                        const DistillOptions& o, uint64_t seed);

// Builds the student (seeded by `seed`) and trains it with train_from_teacher.
SeqModel train_student(SeqModel& teacher, const ModelSpec& teacher_spec, const TextTask& task,
                       const TrainOptions& train, const DistillOptions& o, uint64_t seed);

}  // namespace mctsnas::torchnas
