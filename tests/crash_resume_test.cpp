// Kills `mctsnas search` with SIGKILL at random moments, resumes each time, and
// checks that the final trials.jsonl equals an uninterrupted run's: no finished
// trial lost, none doubled, same order.
#include <catch2/catch.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "common/atomic_file.h"
#include "common/rng.h"
#include "test_util.h"

extern char** environ;

using namespace mctsnas;
namespace fs = std::filesystem;

namespace {

pid_t spawn(const std::vector<std::string>& args, const std::string& err_file = "/dev/null") {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  REQUIRE(rc == 0);
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

std::vector<std::string> search_args(const fs::path& dir, int parallel) {
  return {test::mctsnas_binary(), "search", (test::source_dir() / "configs" / "nb201_mcts.yaml").string(),
          "--run-dir", dir.string(), "--set", "search.trials=300",
          "--set", "search.parallel=" + std::to_string(parallel)};
}

}  // namespace

TEST_CASE("SIGKILL at random moments, then resume: trials.jsonl equals an uninterrupted run", "[crash][process]") {
  test::TempDir tmp;
  Rng rng(2026);
  int kills = 0;
  for (int round = 0; kills < 20 && round < 40; ++round) {   // a run may finish between kills: another round
    const int parallel = round % 2 == 0 ? 1 : 3;
    fs::path ref = tmp / ("ref" + std::to_string(round));
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(WEXITSTATUS(wait_exit(spawn(search_args(ref, parallel)))) == 0);
    // Kill within the time a whole run takes here (0.3 s on a quiet machine without
    // LibTorch, seconds on a loaded one), so most attempts die mid-run.
    const int64_t run_ms = std::max<int64_t>(
        20, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count());
    fs::path dir = tmp / ("killed" + std::to_string(round));
    bool finished = false;
    // On a loaded machine start-up alone can outlast a short delay: every kill that
    // made no progress doubles the delays, so the run always moves forward.
    int64_t scale = 1;
    size_t lines_before = 0;
    while (!finished) {
      std::vector<std::string> args = fs::exists(dir / "tree.ckpt")
                                          ? std::vector<std::string>{test::mctsnas_binary(), "resume", dir.string()}
                                          : search_args(dir, parallel);
      const std::string err_file = (tmp / "stderr.txt").string();
      pid_t pid = spawn(args, err_file);
      if (kills < 20) {
        std::this_thread::sleep_for(
            std::chrono::milliseconds(scale * (5 + static_cast<int64_t>(rng.below(static_cast<uint64_t>(run_ms))))));
        ::kill(pid, SIGKILL);
      }
      int st = wait_exit(pid);
      if (WIFSIGNALED(st)) {
        ++kills;
        std::string log = fs::exists(dir / "trials.jsonl") ? read_file(dir / "trials.jsonl") : std::string();
        size_t lines = static_cast<size_t>(std::count(log.begin(), log.end(), '\n'));
        scale = lines > lines_before ? 1 : std::min<int64_t>(scale * 2, 64);
        lines_before = lines;
      } else {
        INFO("stderr: " << read_file(err_file));
        REQUIRE(WEXITSTATUS(st) == 0);
        finished = true;
      }
    }
    INFO("round " << round << ", parallel " << parallel << ", kills so far " << kills);
    auto a = test::trial_lines_without_times(ref / "trials.jsonl");
    auto b = test::trial_lines_without_times(dir / "trials.jsonl");
    REQUIRE(a.size() == 300);
    CHECK(a == b);
  }
  CHECK(kills >= 20);
}
