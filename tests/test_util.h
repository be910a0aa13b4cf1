#pragma once
// Helpers shared by tests: temp directories, source paths, trial logs without timings.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "app/run_options.h"

namespace mctsnas::test {

// A fresh empty directory under the system temp dir, removed at destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "mctsnas");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  // Writes `text` to path()/name (parent folders created); returns that path.
  std::filesystem::path write(const std::string& name, const std::string& text) const;

 private:
  std::filesystem::path path_;
};

std::filesystem::path source_dir();          // the repository root
std::filesystem::path nb201_table();         // data/nb201_cifar10.csv
std::string mctsnas_binary();                // the built CLI

// A run on the vendored NB201 table (key arch, metric test_accuracy, maximize).
RunOptions nb201_run_options(const std::string& algorithm, uint64_t seed, int64_t trials);

// An encoder-decoder cell space: 4-node cells, 8 ops each, widths 64/128/256,
// 1/2/4 layers.
CellSpaceOptions seq2seq_cell_options();

// A config of task.kind fault (FaultEvaluator: each architecture's `behaviour`
// decision picks what its trial does) over a categorical space: decision
// `behaviour` with `behaviours`, then `x_decisions` decisions x, y, z with choices
// '0'..'x_choices - 1'; `rest` (further top-level sections) appended.
std::string fault_config(const std::string& name, uint64_t seed, const std::vector<std::string>& behaviours,
                         int x_choices, const std::string& rest, int x_decisions = 1);

// Starts args[0] (a path) with args, stdin inherited, stdout and stderr into `log`;
// returns its pid (the caller waits for it).
pid_t spawn_logged(const std::vector<std::string>& args, const std::filesystem::path& log);

// trials.jsonl lines with the wall-clock fields (seconds, started_at, finished_at)
// removed: what must be identical between two runs of the same seed.
std::vector<std::string> trial_lines_without_times(const std::filesystem::path& trials_jsonl);

void write_text(const std::filesystem::path& p, const std::string& text);

// Removes a directory tree, ignoring errors. Not std::filesystem::remove_all: in a
// binary linked against the PyTorch wheel's libtorch.so that symbol binds to a copy
// inside libtorch that crashes (seen on the GPU machine, LibTorch 2.11).
void remove_tree(const std::filesystem::path& p);

// Checks that `f` throws mctsnas::Error whose message is one line containing `what`.
void check_refused(const std::function<void()>& f, const std::string& what);

// The lines of a shipped sample file (data/samples/<relative>).
std::vector<std::string> sample_lines(const std::string& relative);

}  // namespace mctsnas::test
