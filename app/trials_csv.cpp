#include "app/trials_csv.h"

#include <charconv>
#include <cmath>
#include <set>

#include "common/atomic_file.h"
#include "common/error.h"

namespace mctsnas {

namespace {

// Shortest text that reads back as the same double: 0.1 stays "0.1".
std::string number(double v) {
  if (!std::isfinite(v)) return {};
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string number(const std::optional<double>& v) { return v ? number(*v) : std::string(); }

}  // namespace

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string trials_csv(const std::vector<TrialRecord>& trials) {
  const std::vector<std::string> fixed = {"id",         "arch",      "status",    "score",     "seconds",
                                          "device",     "started_at", "started_s", "finished_s"};
  std::set<std::string> metric_names;
  for (const auto& t : trials)
    for (const auto& [k, v] : t.metrics) metric_names.insert(k);
  const std::set<std::string> taken(fixed.begin(), fixed.end());

  std::string out;
  auto row = [&out](const std::vector<std::string>& fields) {
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i) out += ',';
      out += csv_field(fields[i]);
    }
    out += "\r\n";
  };

  std::vector<std::string> header = fixed;
  for (const auto& m : metric_names)
    header.push_back(taken.count(m) || m == "error" ? "metric." + m : m);
  header.push_back("error");
  row(header);

  for (const auto& t : trials) {
    std::vector<std::string> f = {std::to_string(t.id), t.arch,        to_string(t.status),  number(t.score),
                                  number(t.seconds),    t.device,      t.started_utc,        number(t.started_at),
                                  number(t.finished_at)};
    for (const auto& m : metric_names) f.push_back(number(t.metric(m)));
    f.push_back(t.error);
    row(f);
  }
  return out;
}

std::filesystem::path write_trials_csv(const std::filesystem::path& run_dir) {
  RunData run = read_run(run_dir);
  const auto path = run_dir / "trials.csv";
  write_file_atomically(path, trials_csv(run.trials));
  return path;
}

}  // namespace mctsnas
