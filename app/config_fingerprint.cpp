#include "app/config_fingerprint.h"

#include <yaml-cpp/yaml.h>

#include <map>

namespace mctsnas {

namespace {

bool changeable(const std::string& key) {
  for (const auto& k : resume_changeable_keys())
    if (key == k || (k.back() == '.' && key.compare(0, k.size(), k) == 0)) return true;
  return false;
}

void flatten(const YAML::Node& n, const std::string& path, std::map<std::string, std::string>& out) {
  if (n.IsMap()) {
    for (const auto& kv : n) flatten(kv.second, path.empty() ? kv.first.as<std::string>() : path + "." + kv.first.as<std::string>(), out);
  } else if (n.IsSequence()) {
    for (size_t i = 0; i < n.size(); ++i) flatten(n[i], path + "[" + std::to_string(i) + "]", out);
    if (n.size() == 0) out[path] = "[]";
  } else if (!changeable(path)) {
    out[path] = n.IsNull() ? "~" : n.as<std::string>();
  }
}

std::map<std::string, std::string> parse(const std::string& fingerprint) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while (pos < fingerprint.size()) {
    size_t nl = fingerprint.find('\n', pos);
    if (nl == std::string::npos) nl = fingerprint.size();
    std::string line = fingerprint.substr(pos, nl - pos);
    size_t sep = line.find(": ");
    if (sep != std::string::npos) out[line.substr(0, sep)] = line.substr(sep + 2);
    pos = nl + 1;
  }
  return out;
}

}  // namespace

const std::vector<std::string>& resume_changeable_keys() {
  static const std::vector<std::string> keys = {"name", "search.trials", "resources.", "output."};
  return keys;
}

std::string config_fingerprint(const std::string& resolved_yaml) {
  std::map<std::string, std::string> flat;
  flatten(YAML::Load(resolved_yaml), "", flat);
  std::string out;
  for (const auto& [k, v] : flat) out += k + ": " + v + "\n";
  return out;
}

std::string fingerprint_diff(const std::string& before, const std::string& now, const std::string& defaults) {
  const auto a = parse(before), b = parse(now), d = parse(defaults);
  std::string out;
  auto add = [&](const std::string& key, const std::string& was, const std::string& is) {
    out += (out.empty() ? "" : "; ") + key + " was " + was + ", now " + is;
  };
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    if (it == b.end())
      add(k, "'" + v + "'", "absent");
    else if (it->second != v)
      add(k, "'" + v + "'", "'" + it->second + "'");
  }
  for (const auto& [k, v] : b) {
    const auto def = d.find(k);
    if (!a.count(k) && (def == d.end() || def->second != v)) add(k, "absent", "'" + v + "'");
  }
  return out;
}

}  // namespace mctsnas
