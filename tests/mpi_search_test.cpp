// `mpirun --oversubscribe -np 3 mctsnas search`: rank 0 runs the search, ranks 1 and 2
// run the trials. With search.deterministic the run's trials.jsonl equals a
// single-host run's (same architectures, order, scores, everything but times and
// the host/rank that ran each trial); after a SIGKILL of a worker rank or of rank 0,
// `mpirun ... resume` finishes the same run, nothing lost, nothing doubled.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/atomic_file.h"
#include "test_util.h"

using namespace mctsnas;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> mpirun(int ranks, std::vector<std::string> args) {
  // As CI does: the tests may run as root, which mpirun refuses unless told.
  ::setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
  ::setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
  std::vector<std::string> out = {MCTSNAS_MPIEXEC, "--oversubscribe", "-np", std::to_string(ranks),
                                  test::mctsnas_binary()};
  out.insert(out.end(), args.begin(), args.end());
  return out;
}

std::vector<std::string> nb201_search(const fs::path& dir, int parallel) {
  return {"search", (test::source_dir() / "configs" / "nb201_mcts.yaml").string(), "--run-dir", dir.string(),
          "--set", "search.trials=300", "--set", "search.deterministic=true",
          "--set", "search.parallel=" + std::to_string(parallel)};
}

int run_to_end(const std::vector<std::string>& args, const fs::path& log) {
  int status = 0;
  ::waitpid(test::spawn_logged(args, log), &status, 0);
  INFO(args[0] << " ... output:\n" << read_file(log));
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

// What must be equal between an MPI run and a single-host one.
std::vector<std::string> comparable_lines(const fs::path& trials) {
  std::vector<std::string> out;
  for (const auto& line : test::trial_lines_without_times(trials)) {
    auto j = nlohmann::ordered_json::parse(line);
    j.erase("host");
    j.erase("rank");
    out.push_back(j.dump());
  }
  return out;
}

std::vector<int> ranks_of(const fs::path& trials) {
  std::vector<int> out;
  std::ifstream in(trials);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line).value("rank", -1));
  return out;
}

}  // namespace

TEST_CASE("mpirun -np 3: the same trials as a single-host run with the same parallel", "[mpi]") {
  test::TempDir tmp;
  for (int parallel : {1, 3}) {
    INFO("search.parallel " << parallel);
    const std::string k = std::to_string(parallel);
    std::vector<std::string> single = nb201_search(tmp / ("single" + k), parallel);
    single.insert(single.begin(), test::mctsnas_binary());
    REQUIRE(run_to_end(single, tmp / "single.log") == 0);
    REQUIRE(run_to_end(mpirun(3, nb201_search(tmp / ("mpi" + k), parallel)), tmp / "mpi.log") == 0);
    auto a = comparable_lines(tmp / ("single" + k) / "trials.jsonl");
    auto b = comparable_lines(tmp / ("mpi" + k) / "trials.jsonl");
    REQUIRE(a.size() == 300);
    CHECK(a == b);
    // Every trial ran on a worker rank and says which; a single-host run says nothing.
    for (int r : ranks_of(tmp / ("mpi" + k) / "trials.jsonl")) CHECK((r == 1 || r == 2));
    CHECK(ranks_of(tmp / ("single" + k) / "trials.jsonl") == std::vector<int>(300, -1));
  }
}
