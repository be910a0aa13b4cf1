#include "app/cli_hints.h"

#include <yaml-cpp/yaml.h>

#include "app/config_loader.h"
#include "common/strings.h"

namespace mctsnas {

namespace {

// Every key path of the config schema ("search.trials", "train.early_stopping.kind"),
// read from the resolved form of the defaults so that it never drifts from the loader.
void key_paths(const YAML::Node& node, const std::string& prefix, std::vector<std::string>& out) {
  if (!node.IsMap()) return;
  for (const auto& kv : node) {
    std::string path = prefix.empty() ? kv.first.as<std::string>() : prefix + "." + kv.first.as<std::string>();
    if (kv.second.IsMap())
      key_paths(kv.second, path, out);
    else
      out.push_back(path);
  }
}

std::vector<std::string> config_key_paths() {
  std::vector<std::string> out;
  key_paths(YAML::Load(resolved_yaml(RunOptions{})), "", out);
  return out;
}

bool ends_with_key(const std::string& path, const std::string& key) {
  return path == key || (path.size() > key.size() && path.compare(path.size() - key.size(), key.size(), key) == 0 &&
                         path[path.size() - key.size() - 1] == '.');
}

}  // namespace

std::string unknown_command_message(const CLI::App& app, const std::string& word) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands({})) {
    if (sub->check_name(word)) return "";
    if (!sub->get_group().empty()) names.push_back(sub->get_name());   // the hidden worker entry stays hidden
  }
  std::string msg = "unknown command '" + word + "'";
  std::string near = closest_match(word, names);
  if (!near.empty()) msg += "; did you mean '" + near + "'?";
  return msg + " (commands: " + join(names, ", ") + ")";
}

std::vector<std::string> config_flag_hints(const CLI::App& cmd, const std::vector<std::string>& args) {
  std::vector<std::string> hints;
  if (!cmd.get_option_no_throw("--set")) return hints;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() < 3 || a.compare(0, 2, "--") != 0) continue;
    size_t eq = a.find('=');
    std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    if (cmd.get_option_no_throw("--" + name)) continue;
    std::string value = eq != std::string::npos ? a.substr(eq + 1)
                        : i + 1 < args.size()   ? args[i + 1]
                                                : "VALUE";
    std::string key = name;
    for (char& c : key)
      if (c == '-') c = '_';
    for (const std::string& path : config_key_paths())
      if (ends_with_key(path, key))
        hints.push_back("--" + name + " is not a flag of `mctsnas " + cmd.get_name() +
                        "`; to set the config key use --set " + path + "=" + value);
  }
  return hints;
}

}  // namespace mctsnas
