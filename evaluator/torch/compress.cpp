#include "evaluator/torch/compress.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <ostream>

#include "common/error.h"
#include "common/file_manifest.h"
#include "common/rng.h"
#include "common/stopwatch.h"
#include "evaluator/torch/dense.h"
#include "evaluator/torch/export_use.h"
#include "evaluator/torch/prune.h"
#include "evaluator/torch/quantize.h"
#include "evaluator/torch/text_tasks.h"
#include "evaluator/torch/torch_evaluator.h"

namespace mctsnas::torchnas {
namespace fs = std::filesystem;
namespace {

// Median of 25 timed runs after 3 warm-ups (more than a trial's 7: these figures
// decide which variant is recommended, and int8 and fp32 differ by tens of percent).
double median_latency_ms(SeqModel& model, const TextTask& task, int64_t batch) {
  torch::NoGradGuard no_grad;
  const auto b = task.example_batch(batch);
  for (int i = 0; i < 3; ++i) task.infer(model, b);
  std::vector<double> ms;
  for (int i = 0; i < 25; ++i) {
    const auto t0 = SteadyClock::now();
    task.infer(model, b);
    ms.push_back(ms_since(t0));
  }
  std::nth_element(ms.begin(), ms.begin() + 12, ms.end());
  return ms[12];
}

// Bytes of the fully connected layers' weight matrices as stored (int8: one byte per
// weight plus a float scale per row), the part int8 compresses.
double dense_weight_bytes(const SeqModel& model) {
  double bytes = 0;
  for (const auto& m : model->modules())
    if (const auto* d = m->as<DenseImpl>())
      bytes += d->is_int8() ? static_cast<double>(d->weight.numel() + 4 * d->weight.size(0))
                            : static_cast<double>(4 * d->weight.numel());
  return bytes;
}

VariantReport measure(const std::string& name, const fs::path& dir, const std::string& weights_file,
                      const TextTask& task, std::ostream* log) {
  if (log) *log << "measuring " << name << " (" << dir.string() << ") ..." << std::endl;
  VariantReport r{name, dir, {}};
  const auto t0 = SteadyClock::now();
  auto m = load_exported_model(dir);
  r.metrics["load_ms"] = ms_since(t0);
  r.metrics["params"] = static_cast<double>(m.model->num_parameters());
  r.metrics["weights_bytes"] = static_cast<double>(fs::file_size(dir / weights_file));
  r.metrics["dense_weight_bytes"] = dense_weight_bytes(m.model);
  {
    torch::NoGradGuard no_grad;
    // The cap a trial's final evaluation uses, so these figures compare with the trial's.
    for (auto split : {Split::val, Split::test})
      for (const auto& [k, v] : task.evaluate(m.model, split, 64, kFinalEvalExamples, torch::kCPU)) r.metrics[k] = v;
  }
  r.metrics["latency_ms_b1"] = median_latency_ms(m.model, task, 1);
  r.metrics["latency_ms_b32"] = median_latency_ms(m.model, task, 32);
  return r;
}

fs::path write_int8(const fs::path& best_dir, std::ostream* log) {
  auto m = load_exported_model(best_dir);
  const int layers = quantize_int8(m.model);
  const fs::path dir = best_dir / "compressed" / "int8";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("cannot create " + dir.string() + ": " + ec.message());
  write_variant_description(best_dir, dir, "int8", "weights_int8.pt");
  save_int8_weights(m.model, (dir / "weights_int8.pt").string());
  write_manifest(dir);
  if (log) *log << "int8: " << layers << " fully connected layers quantized (engine " << use_int8_engine() << ")\n";
  return dir;
}

// An fp32 variant made from the export: the same files as the export, so model.py
// and every tool read it as they read the export.
fs::path write_fp32_variant(const std::string& name, const SeqModel& model, const ModelSpec& spec,
                            const LoadedModel& from, const TextTask& task, const fs::path& best_dir) {
  const fs::path dir = best_dir / "compressed" / name;
  write_model_files(model, spec, from.info.shape, from.info.task, dir, from.info.input_bytes, task.labels(),
                    from.info.tokenizers());
  return dir;
}

fs::path write_distilled(const fs::path& best_dir, const TextTask& task, const CompressOptions& o, std::ostream* log) {
  auto teacher = load_exported_model(best_dir);
  const ModelSpec spec = student_spec(teacher.info.spec, o.distill.width);
  if (log)
    *log << "distill: training a student at d_model " << spec.arch.d_model << " (the teacher's "
         << teacher.info.spec.arch.d_model << ") for " << o.train.steps << " steps ..." << std::endl;
  auto student = train_student(teacher.model, teacher.info.spec, task, o.train, o.distill, o.seed);
  return write_fp32_variant("distill", student, spec, teacher, task, best_dir);
}

// Empty when the model has no op that can lose units (prune.h): no variant then.
std::optional<fs::path> write_pruned(const fs::path& best_dir, const TextTask& task, const CompressOptions& o,
                                     std::ostream* log) {
  auto original = load_exported_model(best_dir);
  auto pruned = prune_model(original.model, original.info.spec, original.info.shape, o.prune_fraction);
  if (pruned.ops == 0) {
    if (log) *log << "prune: the model has no ffn or attention op with units to remove; no prune variant\n";
    return std::nullopt;
  }
  if (log)
    *log << "prune: " << pruned.ops << " ffn/attention ops lose " << o.prune_fraction << " of their units (params "
         << original.model->num_parameters() << " -> " << pruned.model->num_parameters() << "); fine-tuning "
         << o.prune_steps << " steps ..." << std::endl;
  if (o.prune_steps > 0) {
    TrainOptions t = o.train;
    t.steps = o.prune_steps;
    train_from_teacher(pruned.model, original.model, task, t, o.distill, hash_combine(o.seed, 0x9e));
  }
  return write_fp32_variant("prune", pruned.model, pruned.spec, original, task, best_dir);
}

}  // namespace

const std::vector<std::string>& compress_variants() {
  static const std::vector<std::string> names = {"int8", "distill", "prune"};
  return names;
}

std::vector<VariantReport> compress_export(const fs::path& best_dir, const CompressOptions& o, std::ostream* log) {
  for (const auto& v : o.variants)
    if (std::find(compress_variants().begin(), compress_variants().end(), v) == compress_variants().end())
      throw Error("compress: unknown variant '" + v + "' (known: int8, distill, prune)");
  if (o.threads < 1) throw Error("compress: --threads must be >= 1, got " + std::to_string(o.threads));
  if (!(o.prune_fraction > 0 && o.prune_fraction < 1))
    throw Error("compress: prune fraction must be in (0, 1), got " + std::to_string(o.prune_fraction));
  if (o.prune_steps < 0) throw Error("compress: prune steps must be >= 0, got " + std::to_string(o.prune_steps));
  struct ThreadsGuard {
    int old = torch::get_num_threads();
    ~ThreadsGuard() { torch::set_num_threads(old); }
  } restore;
  torch::set_num_threads(o.threads);
  auto task = make_text_task(o.task);
  std::vector<VariantReport> out;
  out.push_back(measure("fp32", best_dir, "weights.pt", *task, log));
  for (const auto& v : o.variants) {
    if (v == "int8") out.push_back(measure(v, write_int8(best_dir, log), "weights_int8.pt", *task, log));
    if (v == "distill") out.push_back(measure(v, write_distilled(best_dir, *task, o, log), "weights.pt", *task, log));
    if (v == "prune")
      if (const auto dir = write_pruned(best_dir, *task, o, log))
        out.push_back(measure(v, *dir, "weights.pt", *task, log));
  }
  return out;
}

}  // namespace mctsnas::torchnas
