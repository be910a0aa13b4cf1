#include "app/generate_command.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "app/commands.h"
#include "app/export_command.h"
#include "common/error.h"
#ifdef MCTSNAS_HAVE_TORCH
#include "evaluator/torch/export_use.h"
#endif

namespace mctsnas {

void run_generate(const GenerateCommandOptions& o, std::ostream& out) {
  if (o.tokens < 0) throw Error("--tokens must be >= 0, got " + std::to_string(o.tokens));
  if (o.temperature < 0) throw Error("--temperature must be >= 0, got " + std::to_string(o.temperature));
  [[maybe_unused]] const auto dir = exported_model_dir(o.run_dir, o.variant);
#ifdef MCTSNAS_HAVE_TORCH
  auto model = torchnas::load_exported_model(dir);
  torchnas::GenerateOptions g;
  g.tokens = o.tokens;
  g.temperature = o.temperature;
  g.seed = o.seed;
  out << torchnas::generate_text(model, o.prompt, g) << "\n";
#else
  (void)out;
  throw Error("generate runs LibTorch models, and this mctsnas was built without it (rebuild with -DMCTSNAS_WITH_TORCH=ON)");
#endif
}

void add_generate_command(CLI::App& app, int& code) {
  auto* cmd = app.add_subcommand("generate", "Sample text from a run's exported language model (RUN_DIR/best)");
  auto o = std::make_shared<GenerateCommandOptions>();
  auto dir = std::make_shared<std::string>();
  cmd->add_option("RUN_DIR", *dir, "Run directory of an lm run, exported with `mctsnas export`")->required();
  cmd->add_option("--prompt", o->prompt, "Text to continue")->required();
  cmd->add_option("--tokens", o->tokens, "Bytes to generate")->default_val(200);
  cmd->add_option("--temperature", o->temperature, "Sampling temperature (0: greedy)")->default_val(1.0);
  cmd->add_option("--seed", o->seed, "Sampling seed")->default_val(0);
  cmd->add_option("--variant", o->variant, "fp32 (the export) or a compressed variant (mctsnas compress): int8, distill, prune")
      ->default_val("fp32");
  cmd->callback([=, &code] {
    code = guarded("generate", [&] {
      o->run_dir = *dir;
      run_generate(*o, std::cout);
      return 0;
    });
  });
}

}  // namespace mctsnas
