#include "test_util.h"

#include <fcntl.h>
#include <ftw.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "common/error.h"

#include <catch2/catch.hpp>

namespace mctsnas::test {

TempDir::TempDir(const std::string& tag) {
  std::string templ = (std::filesystem::temp_directory_path() / (tag + "-XXXXXX")).string();
  char* p = ::mkdtemp(templ.data());
  if (!p) throw std::runtime_error("mkdtemp failed");
  path_ = p;
}

TempDir::~TempDir() { remove_tree(path_); }

std::filesystem::path TempDir::write(const std::string& name, const std::string& text) const {
  write_text(path_ / name, text);
  return path_ / name;
}

void remove_tree(const std::filesystem::path& p) {
  // Depth first, without following symlinks: files before their directory.
  ::nftw(
      p.c_str(), [](const char* f, const struct stat*, int, struct FTW*) { return ::remove(f), 0; }, 16,
      FTW_DEPTH | FTW_PHYS);
}

std::filesystem::path source_dir() { return MCTSNAS_SOURCE_DIR; }
std::filesystem::path nb201_table() { return source_dir() / "data" / "nb201_cifar10.csv"; }
std::string mctsnas_binary() { return MCTSNAS_BINARY; }

RunOptions nb201_run_options(const std::string& algorithm, uint64_t seed, int64_t trials) {
  RunOptions o;
  o.name = "t";
  o.seed = seed;
  o.space.kind = SpaceKind::nb201;
  o.task.kind = "table";
  o.task.table = nb201_table().string();
  o.task.key_column = "arch";
  o.task.score_column = "test_accuracy";
  o.objective.metric = "test_accuracy";
  o.objective.goal = Goal::maximize;
  o.search.algorithm = algorithm;
  o.search.trials = trials;
  return o;
}

std::string fault_config(const std::string& name, uint64_t seed, const std::vector<std::string>& behaviours,
                         int x_choices, const std::string& rest, int x_decisions) {
  MCTSNAS_CHECK(x_decisions >= 1 && x_decisions <= 3, "fault_config: 1 to 3 x decisions");
  std::string b, xs;
  for (const auto& s : behaviours) b += (b.empty() ? "" : ", ") + s;
  for (int i = 0; i < x_choices; ++i) xs += (i ? ", '" : "'") + std::to_string(i) + "'";
  std::string out = "name: " + name + "\nseed: " + std::to_string(seed) +
                    "\nspace:\n  kind: categorical\n  categorical:\n    decisions:\n"
                    "      - {name: behaviour, choices: [" + b + "]}\n";
  for (int d = 0; d < x_decisions; ++d)
    out += "      - {name: " + std::string(1, static_cast<char>('x' + d)) + ", choices: [" + xs + "]}\n";
  return out + "task: {kind: fault}\n" + rest;
}

pid_t spawn_logged(const std::vector<std::string>& args, const std::filesystem::path& log) {
  // Everything allocated before the fork: only async-signal-safe calls after it.
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const std::string log_path = log.string();
  pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

CellSpaceOptions seq2seq_cell_options() {
  CellSpaceOptions o;
  o.model = ModelKind::encoder_decoder;
  o.encoder = {4, {"conv3", "conv5", "dilated_conv3", "local_attention_w8", "glu", "ffn", "identity", "zero"}, CellCombine::sum};
  o.decoder = {4,
               {"causal_conv3", "causal_conv5", "causal_local_attention_w8", "cross_attention", "glu", "ffn",
                "identity", "zero"},
               CellCombine::sum};
  o.macro = {{64, 128, 256}, {1, 2, 4}, {1, 2, 4}};
  return o;
}

std::vector<std::string> trial_lines_without_times(const std::filesystem::path& trials_jsonl) {
  std::ifstream in(trials_jsonl);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::ordered_json::parse(line);
    j.erase("seconds");
    j.erase("started_at");
    j.erase("finished_at");
    j.erase("started_s");
    j.erase("finished_s");
    out.push_back(j.dump());
  }
  return out;
}

void write_text(const std::filesystem::path& p, const std::string& text) {
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out << text;
}

void check_refused(const std::function<void()>& f, const std::string& what) {
  try {
    f();
    FAIL("accepted: " << what);
  } catch (const Error& e) {
    const std::string msg = e.what();
    CHECK_THAT(msg, Catch::Contains(what));
    CHECK(msg.find('\n') == std::string::npos);
  }
}

std::vector<std::string> sample_lines(const std::string& relative) {
  std::ifstream in(source_dir() / "data" / "samples" / relative);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

}  // namespace mctsnas::test
