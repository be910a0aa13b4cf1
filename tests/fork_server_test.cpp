// The fork server behind ProcessPool (runtime/fork_server.h): every trial is still
// its own process, a server that dies mid-search is noticed and replaced without
// losing the search, and nothing lingers once the search process is SIGKILLed.
#include <catch2/catch.hpp>

#include <signal.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/error.h"
#ifdef MCTSNAS_HAVE_TORCH
#include "app/config_loader.h"
#include "space/space_options.h"
#endif
#include "evaluator/fault_evaluator.h"
#include "common/rng.h"
#include "run_dir_fixture.h"
#include "test_util.h"
#include "runtime/budgeter.h"
#include "runtime/fork_server_client.h"
#include "runtime/inventory.h"
#include "runtime/process_pool.h"

using namespace mctsnas;
using mctsnas::testing::TempDir;
using mctsnas::testing::write_text;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

std::string fault_config(const std::string& extra = "") {
  return test::fault_config("fault", 1, FaultEvaluator::behaviours(), 6, extra);
}

Choice behaviour(const std::string& name) {
  const auto& b = FaultEvaluator::behaviours();
  return static_cast<Choice>(std::find(b.begin(), b.end(), name) - b.begin());
}

std::unique_ptr<ProcessPool> make_pool(const TempDir& dir, int parallel) {
  write_text(dir.path() / "config.yaml", fault_config("resources: {isolation: process, per_trial: {cpu_threads: 1}}\n"));
  BudgeterOptions bo;
  bo.resources.devices = "cpu";
  bo.resources.per_trial.cpu_threads = 1;
  bo.max_parallel = parallel;
  ProcessPoolOptions po;
  po.executable = MCTSNAS_BINARY;
  po.worker_args = {"trial", "--config", (dir.path() / "config.yaml").string()};
  po.log_dir = dir.path() / "logs";
  return std::make_unique<ProcessPool>(po, Budgeter(probe_inventory({false}), bo));
}

// A /proc file's text; empty when the process is gone. (An ifstream read of a process
// that exits mid-read throws "No such process" from libstdc++'s underflow.)
std::string read_proc(const fs::path& p) {
  std::string out;
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

// Field 4 of /proc/<pid>/stat (after the command name in parentheses); -1 if gone.
int parent_of(int pid) {
  const std::string s = read_proc("/proc/" + std::to_string(pid) + "/stat");
  auto close = s.rfind(')');
  if (close == std::string::npos) return -1;
  char state = 0;
  int ppid = -1;
  if (std::sscanf(s.c_str() + close + 1, " %c %d", &state, &ppid) != 2) return -1;
  return ppid;
}

// Gone, or a zombie nobody reaped yet (a container's pid 1 may not): not running.
bool running(int pid) {
  const std::string s = read_proc("/proc/" + std::to_string(pid) + "/stat");
  auto close = s.rfind(')');
  return close != std::string::npos && s.size() > close + 2 && s[close + 2] != 'Z';
}

// Live processes whose command line mentions `needle`.
std::vector<int> processes_mentioning(const std::string& needle) {
  std::vector<int> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    int pid = std::atoi(e.path().filename().c_str());
    if (pid <= 0 || pid == ::getpid()) continue;
    const std::string cmd = read_proc(e.path() / "cmdline");
    if (cmd.find(needle) != std::string::npos && running(pid)) out.push_back(pid);
  }
  return out;
}

}  // namespace

TEST_CASE("Fork server: each trial is a distinct process forked by one server", "[process_pool][fork_server]") {
  TempDir dir("fork-distinct");
  auto pool = make_pool(dir, 2);
  // 0.5 s busy trials: long enough to be seen running by the sampling below.
  for (uint64_t i = 0; i < 4; ++i) pool->submit({i, Architecture{{behaviour("threads"), static_cast<Choice>(i)}}});
  const int server = pool->server_pid();
  REQUIRE(server > 0);
  std::set<int> pids;
  std::map<uint64_t, TrialOutcome> got;
  auto t0 = Clock::now();
  while (got.size() < 4 && Clock::now() - t0 < std::chrono::seconds(60)) {
    for (int pid : pool->worker_pids()) {
      if (pids.insert(pid).second) {
        int ppid = parent_of(pid);
        INFO("worker " << pid << " has parent " << ppid);
        CHECK((ppid == server || ppid == -1));   // -1: it already exited
      }
    }
    for (auto& o : pool->wait(0.02)) got[o.id] = o;
  }
  REQUIRE(got.size() == 4);
  for (const auto& [id, o] : got) {
    INFO(o.result.error);
    CHECK(o.result.status == TrialStatus::ok);
  }
  CHECK(pids.size() == 4);   // one process per trial, never reused
  CHECK(pids.count(server) == 0);
  CHECK(pids.count(::getpid()) == 0);
  CHECK(pool->server_pid() == server);   // the same server started all four
  CHECK(pool->using_fork_server());
}

TEST_CASE("Fork server: a server killed mid-search is noticed, its trials crash, the next ones run",
          "[process_pool][fork_server]") {
  TempDir dir("fork-dies");
  auto pool = make_pool(dir, 2);
  pool->submit({0, Architecture{{behaviour("sleep"), 0}}});   // 10 s each (no wall time)
  pool->submit({1, Architecture{{behaviour("sleep"), 1}}});
  const int server = pool->server_pid();
  REQUIRE(server > 0);
  auto pids = pool->worker_pids();
  REQUIRE(pids.size() == 2);
  REQUIRE(::kill(server, SIGKILL) == 0);

  std::map<uint64_t, TrialOutcome> got;
  auto t0 = Clock::now();
  while (got.size() < 2 && Clock::now() - t0 < std::chrono::seconds(5))
    for (auto& o : pool->wait(0.1)) got[o.id] = o;
  REQUIRE(got.size() == 2);   // noticed at once, not after the 10 s sleeps
  for (const auto& [id, o] : got) {
    CHECK(o.result.status == TrialStatus::crashed);
    CHECK_THAT(o.result.error, Catch::Contains("fork server"));
  }
  CHECK(pool->in_flight() == 0);
  t0 = Clock::now();
  while ((running(pids[0]) || running(pids[1])) && Clock::now() - t0 < std::chrono::seconds(5))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK_FALSE(running(pids[0]));   // the trials died with their server
  CHECK_FALSE(running(pids[1]));

  // The search goes on: a new server starts the next trials.
  for (uint64_t i = 2; i < 5; ++i) pool->submit({i, Architecture{{behaviour("ok"), static_cast<Choice>(i)}}});
  got.clear();
  t0 = Clock::now();
  while (got.size() < 3 && Clock::now() - t0 < std::chrono::seconds(60))
    for (auto& o : pool->wait(0.5)) got[o.id] = o;
  REQUIRE(got.size() == 3);
  for (uint64_t i = 2; i < 5; ++i) {
    CHECK(got.at(i).result.status == TrialStatus::ok);
    CHECK(got.at(i).result.score == Approx(0.5 + 0.01 * i));
  }
  CHECK(pool->using_fork_server());
  CHECK(pool->server_pid() > 0);
  CHECK(pool->server_pid() != server);
}

TEST_CASE("Fork server: after the search process is SIGKILLed, no server or trial lingers",
          "[process_pool][fork_server][process]") {
  TempDir dir("fork-orphans");
  // Only sleepers: every trial runs ~10 s, so two are running when the search dies.
  write_text(dir.path() / "sleepers.yaml",
             test::fault_config("sleepers", 1, {"sleep"}, 6,
                                "objective: {metric: score, goal: maximize}\n"
                                "search: {algorithm: random, trials: 6, parallel: 2}\n"
                                "resources: {devices: cpu, isolation: process, per_trial: {cpu_threads: 1}}\n"));
  fs::path run = dir.path() / "run";
  pid_t pid = test::spawn_logged(
      {MCTSNAS_BINARY, "search", (dir.path() / "sleepers.yaml").string(), "--run-dir", run.string()},
      dir.path() / "search.log");
  REQUIRE(pid > 0);
  // The server and its forked trials carry the run's config path on their command line.
  const std::string needle = (run / "config.resolved.yaml").string();
  auto t0 = Clock::now();
  std::vector<int> seen;
  while (Clock::now() - t0 < std::chrono::seconds(60)) {
    seen = processes_mentioning(needle);
    if (seen.size() >= 3) break;   // the server and two trials
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  INFO(mctsnas::testing::slurp(dir.path() / "search.log"));
  REQUIRE(seen.size() >= 3);
  REQUIRE(::kill(pid, SIGKILL) == 0);
  ::waitpid(pid, nullptr, 0);
  // A SIGKILLed process takes a moment to exit (its command line is already empty
  // then), so wait for both signs, within a bound.
  auto any_left = [&] {
    if (!processes_mentioning(needle).empty()) return true;
    for (int p : seen)
      if (running(p)) return true;
    return false;
  };
  t0 = Clock::now();
  while (any_left() && Clock::now() - t0 < std::chrono::seconds(5))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(processes_mentioning(needle).empty());
  for (int p : seen) {
    INFO("pid " << p << ": " << mctsnas::testing::slurp("/proc/" + std::to_string(p) + "/stat"));
    CHECK_FALSE(running(p));
  }
}

// crash_resume_test.cpp does this for in-process (table) trials; here every trial
// goes through the fork server, so kills land while it starts, forks, or reports.
TEST_CASE("SIGKILL of a search whose trials the fork server runs, then resume: trials.jsonl equals an uninterrupted run",
          "[crash][process][fork_server]") {
  TempDir dir("fork-crash");
  write_text(dir.path() / "ok.yaml",
             test::fault_config("oks", 5, {"ok"}, 50,
                                "objective: {metric: score, goal: maximize}\n"
                                "search: {algorithm: random, trials: 120, parallel: 2}\n"
                                "resources: {devices: cpu, isolation: process, per_trial: {cpu_threads: 1}}\n",
                                2));
  auto spawn_search = [&](const std::vector<std::string>& args) {
    return test::spawn_logged(args, dir.path() / "search.log");
  };
  auto search_args = [&](const fs::path& run) {
    return std::vector<std::string>{MCTSNAS_BINARY, "search", (dir.path() / "ok.yaml").string(), "--run-dir", run.string()};
  };
  fs::path ref = dir.path() / "ref";
  int st = 0;
  const auto ref_start = std::chrono::steady_clock::now();
  ::waitpid(spawn_search(search_args(ref)), &st, 0);
  REQUIRE(WIFEXITED(st));
  REQUIRE(WEXITSTATUS(st) == 0);
  // Kill within the time a whole run takes here, so most attempts die mid-run.
  const int64_t run_ms = std::max<int64_t>(
      20, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - ref_start).count());
  // Which CPU a trial was pinned to depends on which slot was free: not compared.
  auto without_cpu_set = [](const fs::path& p) {
    auto lines = mctsnas::test::trial_lines_without_times(p);
    for (auto& l : lines) {
      auto j = nlohmann::json::parse(l);
      j["budget"].erase("cpu_set");
      l = j.dump();
    }
    return lines;
  };
  const auto expected = without_cpu_set(ref / "trials.jsonl");
  REQUIRE(expected.size() == 120);

  Rng rng(7);
  int kills = 0;
  fs::path run;
  for (int round = 0; kills < 12 && round < 30; ++round) {   // a run may finish between kills: another round
    run = dir.path() / ("killed" + std::to_string(round));
    int64_t scale = 1;
    size_t lines_before = 0;
    while (true) {
      auto args = fs::exists(run / "tree.ckpt") ? std::vector<std::string>{MCTSNAS_BINARY, "resume", run.string()}
                                                : search_args(run);
      pid_t pid = spawn_search(args);
      if (kills < 12) {
        std::this_thread::sleep_for(
            std::chrono::milliseconds(scale * (5 + static_cast<int64_t>(rng.below(static_cast<uint64_t>(run_ms))))));
        ::kill(pid, SIGKILL);
      }
      ::waitpid(pid, &st, 0);
      if (!WIFSIGNALED(st)) break;
      ++kills;
      std::string log = fs::exists(run / "trials.jsonl") ? mctsnas::testing::slurp(run / "trials.jsonl") : "";
      size_t lines = static_cast<size_t>(std::count(log.begin(), log.end(), '\n'));
      scale = lines > lines_before ? 1 : std::min<int64_t>(scale * 2, 32);   // a loaded machine: make progress
      lines_before = lines;
    }
    INFO("round " << round << ", kills so far " << kills << "\n" << mctsnas::testing::slurp(dir.path() / "search.log"));
    REQUIRE(WIFEXITED(st));
    REQUIRE(WEXITSTATUS(st) == 0);
    CHECK(without_cpu_set(run / "trials.jsonl") == expected);
    CHECK(fs::exists(run / "logs" / "fork-server.log"));   // the trials were forked, not exec'd
    CHECK(mctsnas::testing::slurp(dir.path() / "search.log").find("exec'd workers") == std::string::npos);
  }
  CHECK(kills >= 12);
  // Nothing of the killed searches is left running.
  const std::string needle = (dir.path() / "killed").string();   // every round's servers and trials
  auto t0 = Clock::now();
  while (!processes_mentioning(needle).empty() && Clock::now() - t0 < std::chrono::seconds(5))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(processes_mentioning(needle).empty());
}

TEST_CASE("MCTSNAS_TRIAL_LAUNCH picks exec'd workers or the fork server", "[fork_server]") {
  const char* old = std::getenv("MCTSNAS_TRIAL_LAUNCH");
  std::string saved = old ? old : "";
  ::unsetenv("MCTSNAS_TRIAL_LAUNCH");
  CHECK_FALSE(exec_workers_requested());
  ::setenv("MCTSNAS_TRIAL_LAUNCH", "exec", 1);
  CHECK(exec_workers_requested());
  ::setenv("MCTSNAS_TRIAL_LAUNCH", "fork", 1);
  CHECK_FALSE(exec_workers_requested());
  ::setenv("MCTSNAS_TRIAL_LAUNCH", "spawn", 1);
  CHECK_THROWS_WITH(exec_workers_requested(), Catch::Contains("MCTSNAS_TRIAL_LAUNCH='spawn'"));
  if (old)
    ::setenv("MCTSNAS_TRIAL_LAUNCH", saved.c_str(), 1);
  else
    ::unsetenv("MCTSNAS_TRIAL_LAUNCH");
}

#ifdef MCTSNAS_HAVE_TORCH
// Every child is forked from the same untouched server, so a trial cannot inherit
// state from the one before it (LibTorch's RNG, allocator caches, thread settings),
// and it gives the result an exec'd worker gives, bit for bit.
TEST_CASE("Fork server: a LibTorch trial's result depends neither on the trial before it nor on fork vs exec",
          "[process_pool][fork_server]") {
  TempDir dir("fork-torch");
  write_text(dir.path() / "g2p.yaml",
             "name: tiny-g2p\nseed: 1\n"
             "space:\n  kind: cells\n  model: encoder_decoder\n"
             "  encoder: {nodes: 2, ops: [conv3, conv5, dilated_conv3, local_attention_w8, glu, ffn, identity]}\n"
             "  decoder: {nodes: 2, ops: [causal_conv3, causal_conv5, causal_local_attention_w8, cross_attention, glu, ffn, identity]}\n"
             "  macro: {d_model: [32, 64], encoder_layers: [1, 2], decoder_layers: [1, 2]}\n"
             "task: {kind: g2p, data: " + (fs::path(MCTSNAS_SOURCE_DIR) / "data" / "samples").string() +
             ", max_len: 24, baseline: false}\n"
             "train: {steps: 20, batch_size: 16, lr: 3.0e-3, precision: fp32, eval_every: 20, eval_batches: 1}\n"
             "objective: {metric: val_per, goal: minimize}\n"
             "resources: {devices: cpu, isolation: process, per_trial: {cpu_threads: 1}}\n");
  RunOptions cfg = load_config(dir.path() / "g2p.yaml");
  auto space = make_space(cfg.space);
  auto a = space->parse_key(
      "d_model=32|encoder_layers=1|decoder_layers=1|encoder=dilated_conv3(prev2)+conv5(prev2);ffn(prev2)|"
      "decoder=identity(prev)+causal_local_attention_w8(prev2);causal_conv5(prev2)+cross_attention(prev)");
  auto b = space->parse_key(
      "d_model=32|encoder_layers=1|decoder_layers=1|encoder=glu(prev)+conv3(prev);identity(prev2)+identity(n0)|"
      "decoder=identity(prev2);causal_conv3(n0)+cross_attention(prev2)");
  REQUIRE(a);
  REQUIRE(b);
  auto run = [&](bool fork_server, const std::vector<Architecture>& archs) {
    BudgeterOptions bo;
    bo.resources.devices = "cpu";
    bo.resources.per_trial.cpu_threads = 1;
    bo.max_parallel = 1;
    ProcessPoolOptions po;
    po.executable = MCTSNAS_BINARY;
    po.worker_args = {"trial", "--config", (dir.path() / "g2p.yaml").string()};
    po.fork_server = fork_server;
    ProcessPool pool(po, Budgeter(probe_inventory({false}), bo));
    for (uint64_t i = 0; i < archs.size(); ++i) pool.submit({i, archs[i]});
    std::map<uint64_t, TrialOutcome> got;
    auto t0 = Clock::now();
    while (got.size() < archs.size() && Clock::now() - t0 < std::chrono::seconds(120))
      for (auto& o : pool.wait(0.5)) got[o.id] = o;
    CHECK(pool.using_fork_server() == fork_server);
    return got;
  };
  auto forked = run(true, {*a, *b, *a});
  auto exec = run(false, {*a});
  REQUIRE(forked.size() == 3);
  REQUIRE(exec.size() == 1);
  for (const auto* o : {&forked.at(0), &forked.at(1), &forked.at(2), &exec.at(0)}) {
    INFO(o->result.error);
    REQUIRE(o->result.status == TrialStatus::ok);
  }
  CHECK(forked.at(0).result.score == forked.at(2).result.score);   // exact: same computation
  CHECK(forked.at(0).result.metrics.at("train_loss") == forked.at(2).result.metrics.at("train_loss"));
  CHECK(forked.at(0).result.score == exec.at(0).result.score);
  CHECK(forked.at(0).result.metrics.at("train_loss") == exec.at(0).result.metrics.at("train_loss"));
  CHECK(forked.at(1).result.metrics.at("train_loss") != forked.at(0).result.metrics.at("train_loss"));
}
#endif
