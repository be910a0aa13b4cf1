// `mctsnas sample`: prints random architectures of a config's space, to see what
// the space holds before searching it.
#include <iostream>

#include "app/commands.h"
#include "app/config_loader.h"
#include "common/rng.h"
#include "space/arch_io.h"
#include "space/search_space.h"
#include "space/space_options.h"

namespace mctsnas {

void add_sample_command(CLI::App& app, int& code) {
  auto* cmd = app.add_subcommand("sample", "Print random architectures of a config's search space");
  auto config = std::make_shared<std::string>();
  auto sets = std::make_shared<std::vector<std::string>>();
  auto count = std::make_shared<int>(1);
  auto seed = std::make_shared<uint64_t>(0);
  auto format = std::make_shared<std::string>("yaml");
  cmd->add_option("CONFIG", *config, "YAML config file")->required();
  cmd->add_option("-n,--count", *count, "How many architectures")->check(CLI::Range(1, 100000));
  cmd->add_option("--seed", *seed, "Random seed");
  cmd->add_option("--format", *format, "yaml | json | dot | line")
      ->check(CLI::IsMember({"yaml", "json", "dot", "line"}));
  cmd->add_option("--set", *sets, "Override a config key (as for search)");
  cmd->callback([&code, config, sets, count, seed, format] {
    code = guarded("sample", [&] {
      std::vector<ConfigOverride> ov;
      for (const auto& s : *sets) ov.push_back(parse_override(s));
      RunOptions o = load_config(*config, ov);
      auto space = make_space(o.space);
      Rng rng(*seed);
      for (int i = 0; i < *count; ++i) {
        Architecture a = space->random(rng);
        if (*format == "yaml")
          std::cout << (i ? "---\n" : "") << arch_to_yaml(*space, a);
        else if (*format == "json")
          std::cout << arch_to_json(*space, a).dump() << '\n';
        else if (*format == "dot")
          std::cout << to_dot(*space, a);
        else
          std::cout << to_line(*space, a) << '\n';
      }
      return 0;
    });
  });
}

}  // namespace mctsnas
