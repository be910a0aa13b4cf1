#include "app/predict_command.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <memory>

#include "app/commands.h"
#include "app/export_command.h"
#include "common/error.h"
#ifdef MCTSNAS_HAVE_TORCH
#include "evaluator/torch/export_use.h"
#endif

namespace mctsnas {

void run_predict(const std::filesystem::path& run_dir, const std::vector<std::string>& inputs, std::ostream& out) {
  [[maybe_unused]] const auto dir = exported_model_dir(run_dir);
#ifdef MCTSNAS_HAVE_TORCH
  auto model = torchnas::load_exported_model(dir);
  if (model.info.task == "lm")
    throw Error(run_dir.string() + ": predict runs g2p and classify models; for a language model use "
                "`mctsnas generate " + run_dir.string() + " --prompt TEXT`");
  for (const auto& in : inputs) {
    if (model.info.task == "g2p") {
      std::string line = in + "\t";
      const auto phones = torchnas::predict_phonemes(model, in);
      for (size_t i = 0; i < phones.size(); ++i) line += (i ? " " : "") + phones[i];
      out << line << "\n";
    } else {
      const auto p = torchnas::predict_class(model, in);
      char prob[32];
      std::snprintf(prob, sizeof prob, "%.4f", p.probability);
      out << p.label << "\t" << prob << "\t" << in << "\n";
    }
  }
#else
  (void)inputs;
  (void)out;
  throw Error("predict runs LibTorch models, and this mctsnas was built without it (rebuild with -DMCTSNAS_WITH_TORCH=ON)");
#endif
}

void add_predict_command(CLI::App& app, int& code) {
  auto* cmd = app.add_subcommand("predict", "Run a run's exported G2P or classification model on words or texts");
  auto dir = std::make_shared<std::string>();
  auto inputs = std::make_shared<std::vector<std::string>>();
  cmd->add_option("RUN_DIR", *dir, "Run directory of a g2p or classify run, exported with `mctsnas export`")->required();
  cmd->add_option("INPUT", *inputs, "Words (g2p) or texts (classify)")->required();
  cmd->callback([=, &code] {
    code = guarded("predict", [&] {
      run_predict(*dir, *inputs, std::cout);
      return 0;
    });
  });
}

}  // namespace mctsnas
