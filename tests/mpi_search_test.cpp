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

std::vector<std::string> nb201_search(const fs::path& dir, int parallel, int trials = 300) {
  return {"search", (test::source_dir() / "configs" / "nb201_mcts.yaml").string(), "--run-dir", dir.string(),
          "--set", "search.trials=" + std::to_string(trials), "--set", "search.deterministic=true",
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

namespace {

// The process of MPI rank `rank` among mpirun's children (its launcher forks the
// ranks of this host), found by its environment; 0 when not (yet) there.
pid_t rank_pid(pid_t mpirun_pid, int rank) {
  const std::string want = "OMPI_COMM_WORLD_RANK=" + std::to_string(rank);
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(e.path() / "stat");
    std::string pid, comm, state;
    long ppid = 0;
    if (!(stat >> pid >> comm >> state >> ppid) || ppid != mpirun_pid) continue;
    std::ifstream env(e.path() / "environ");
    for (std::string var; std::getline(env, var, '\0');)
      if (var == want) return static_cast<pid_t>(std::stol(name));
  }
  return 0;
}

size_t lines_in(const fs::path& p) {
  std::ifstream in(p);
  size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

}  // namespace

// A name under 80 characters: Catch2 v2's console reporter throws std::out_of_range
// wrapping a longer one when it prints a failure.
TEST_CASE("mpirun: kill a worker, rank 0 or mpirun, resume: nothing lost or doubled",
          "[mpi][crash]") {
  test::TempDir tmp;
  // 1,500 table trials take seconds: a stop sent after the first 20 lands mid-run even
  // on a loaded machine (with 300, all could finish in the stop's grace period).
  constexpr int kTrials = 1500;
  std::vector<std::string> single = nb201_search(tmp / "single", 3, kTrials);
  single.insert(single.begin(), test::mctsnas_binary());
  REQUIRE(run_to_end(single, tmp / "single.log") == 0);
  const auto expected = comparable_lines(tmp / "single" / "trials.jsonl");
  REQUIRE(expected.size() == kTrials);
  // -1: SIGTERM to mpirun, which passes it to every rank: rank 0 stops the workers
  // (stop, stopped), keeps what finished and exits 1 with the resume command.
  for (int victim : {1, 0, -1}) {
    INFO("victim (rank, or -1 for mpirun) " << victim);
    const fs::path dir = tmp / ("killed" + std::to_string(victim));
    const pid_t mpirun_pid = test::spawn_logged(mpirun(3, nb201_search(dir, 3, kTrials)), tmp / "killed.log");
    // Mid-run: once some trials are in, long before all 300 are.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (lines_in(dir / "trials.jsonl") < 20 && std::chrono::steady_clock::now() < give_up)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    const pid_t victim_pid = victim < 0 ? mpirun_pid : rank_pid(mpirun_pid, victim);
    REQUIRE(victim_pid > 0);
    ::kill(victim_pid, victim < 0 ? SIGTERM : SIGKILL);
    int status = 0;
    ::waitpid(mpirun_pid, &status, 0);
    const std::string log = read_file(tmp / "killed.log");
    INFO("interrupted run's output:\n" << log);
    REQUIRE(WIFEXITED(status));
    if (victim < 0) {
      CHECK(WEXITSTATUS(status) == 1);
      CHECK(log.find("resume with: mpirun -np 3 ") != std::string::npos);
    } else {
      CHECK(WEXITSTATUS(status) != 0);   // Open MPI ends the job
    }
    CHECK(lines_in(dir / "trials.jsonl") < kTrials);
    REQUIRE(run_to_end(mpirun(3, {"resume", dir.string()}), tmp / "resume.log") == 0);
    CHECK(comparable_lines(dir / "trials.jsonl") == expected);
  }
}

TEST_CASE("mpirun -np 3: a sentencepiece run's workers read rank 0's tokenizer", "[mpi][sentencepiece]") {
  test::TempDir tmp("mpi-spm");
  const fs::path dir = tmp / "run";
  REQUIRE(run_to_end(mpirun(3, {"search", (test::source_dir() / "configs" / "lm_example.yaml").string(), "--run-dir",
                                dir.string(), "--set", "task.tokenizer=sentencepiece", "--set",
                                "task.sentencepiece.vocab_size=300", "--set", "search.trials=2", "--set",
                                "search.parallel=2", "--set", "train.steps=4", "--set", "train.eval_every=2",
                                "--set", "task.baseline=false", "--set", "task.baseline_seeds=0"}),
                     tmp / "mpi.log") == 0);
  const std::string model = read_file(dir / "tokenizer.model");
  REQUIRE(model.size() > 1000);
  for (const char* rank : {"rank-1", "rank-2"}) CHECK(read_file(dir / "workers" / rank / "tokenizer.model") == model);
  for (const auto& line : test::trial_lines_without_times(dir / "trials.jsonl"))
    CHECK(nlohmann::json::parse(line).at("status") == "ok");
}

TEST_CASE("mpirun -np 3 doctor --json: every rank's host, cores, NUMA nodes and GPUs", "[mpi]") {
  test::TempDir tmp;
  REQUIRE(run_to_end(mpirun(3, {"doctor", "--json"}), tmp / "doctor.log") == 0);
  // mpirun may add its own lines: the JSON array is the part from the first '['.
  const std::string out = read_file(tmp / "doctor.log");
  auto ranks = nlohmann::json::parse(out.substr(out.find('[')));
  REQUIRE(ranks.size() == 3);
  for (int r = 0; r < 3; ++r) {
    CHECK(ranks[r]["rank"] == r);
    CHECK(!ranks[r]["host"].get<std::string>().empty());
    CHECK(ranks[r]["doctor"]["cpu"]["cores"].get<int>() >= 1);
    CHECK(ranks[r]["doctor"].contains("numa_nodes"));
    CHECK(ranks[r]["doctor"].contains("gpus"));
  }
}

TEST_CASE("mpirun: rank 0 logs a worker that holds a trial and sends nothing for resources.heartbeat_timeout", "[mpi]") {
  test::TempDir tmp;
  // An in-process trial that sleeps 4 s (the fault evaluator's sleep: 3 x its wall
  // time + 1 s) blocks its worker rank's loop: no heartbeat, no result meanwhile.
  const fs::path cfg = tmp.write(
      "silent.yaml", test::fault_config("silent", 1, {"sleep"}, 2,
                                        "search: {trials: 1}\nresources: {isolation: inline, heartbeat_timeout: 1s, "
                                        "per_trial: {wall_time: 1s}}\n"));
  REQUIRE(run_to_end(mpirun(2, {"search", cfg.string(), "--run-dir", (tmp / "run").string()}), tmp / "run.log") == 0);
  const std::string log = read_file(tmp / "run.log");
  INFO(log);
  CHECK(log.find("warning: rank 1 (") != std::string::npos);
  CHECK(log.find("while holding trial(s) #0: stuck or overloaded") != std::string::npos);
  CHECK(lines_in(tmp / "run" / "trials.jsonl") == 1);   // the trial still finishes and counts
}

TEST_CASE("mpirun: a worker rank that cannot start ends the run with one line naming the rank, exit 2", "[mpi]") {
  test::TempDir tmp;
  // The workers keep their files in RUN_DIR/workers/rank-N: a file in the way stops
  // them, not rank 0.
  test::write_text(tmp / "run" / "workers", "in the way\n");
  std::vector<std::string> args = nb201_search(tmp / "run", 1);
  REQUIRE(run_to_end(mpirun(3, args), tmp / "run.log") == 2);
  const std::string log = read_file(tmp / "run.log");
  INFO(log);
  CHECK((log.find("mctsnas search: error: rank 1 (") != std::string::npos ||
         log.find("mctsnas search: error: rank 2 (") != std::string::npos));
  CHECK(log.find("): filesystem error: cannot create directories") != std::string::npos);
  CHECK(!fs::exists(tmp / "run" / "trials.jsonl"));
}
