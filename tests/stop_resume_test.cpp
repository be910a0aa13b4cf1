// SIGTERM during `mctsnas search`, then `mctsnas resume`: no finished trial is lost
// and the resumed run completes. Trials run in worker processes (task.kind: fault,
// isolation: process), each sleeping ~1 s, so the signal lands while some run.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "run_dir_fixture.h"

using namespace mctsnas;
namespace fs = std::filesystem;
using mctsnas::testing::TempDir;
using mctsnas::testing::write_text;

namespace {

std::vector<std::string> lines_of(const fs::path& p) {
  std::vector<std::string> out;
  std::ifstream in(p);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

int wait_exit(pid_t pid, double timeout_s) {
  auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < std::chrono::duration<double>(timeout_s)) {
    int st = 0;
    if (::waitpid(pid, &st, WNOHANG) == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return -1;
}

}  // namespace

TEST_CASE("SIGTERM during a search with worker processes, then resume, loses no finished trial",
          "[stop_signals][process]") {
  TempDir tmp("stop-resume");
  write_text(tmp.path() / "fault.yaml",
             test::fault_config("sleepers", 3, {"sleep"}, 12,
                                "objective: {metric: score, goal: maximize}\n"
                                "search: {algorithm: random, trials: 8, parallel: 2}\n"
                                "resources: {devices: cpu, isolation: process, per_trial: {cpu_threads: 1}}\n"));
  fs::path run = tmp.path() / "run";
  pid_t pid = test::spawn_logged({std::string(MCTSNAS_BINARY), "search", (tmp.path() / "fault.yaml").string(), "--run-dir", run.string()},
                    tmp.path() / "search.log");
  // Each trial sleeps 1 s, two at a time: stop once two have finished (however long the
  // binary took to start on a loaded machine), while others run.
  for (int i = 0; i < 1200 && lines_of(run / "trials.jsonl").size() < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ::kill(pid, SIGTERM);
  int rc = wait_exit(pid, 20);
  INFO(mctsnas::testing::slurp(tmp.path() / "search.log"));
  CHECK(rc == 1);   // stopped, not finished
  auto before = lines_of(run / "trials.jsonl");
  CHECK(before.size() >= 2);
  CHECK(before.size() < 8);
  CHECK(mctsnas::testing::slurp(tmp.path() / "search.log").find("resume with: " + std::string(MCTSNAS_BINARY) + " resume " + run.string()) !=
        std::string::npos);   // the binary as it was run: it is not installed on PATH

  pid = test::spawn_logged({std::string(MCTSNAS_BINARY), "resume", run.string()}, tmp.path() / "resume.log");
  rc = wait_exit(pid, 60);
  INFO(mctsnas::testing::slurp(tmp.path() / "resume.log"));
  CHECK(rc == 0);
  auto after = lines_of(run / "trials.jsonl");
  CHECK(fs::exists(run / "logs" / "trial-0.log"));   // trials ran in worker processes
  REQUIRE(after.size() == 8);
  for (size_t i = 0; i < before.size(); ++i) CHECK(after[i] == before[i]);   // kept as written
  for (const auto& l : after) {
    auto j = nlohmann::json::parse(l);
    CHECK(j["status"] == "ok");
  }
}
