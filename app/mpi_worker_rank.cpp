#include "app/mpi_worker_rank.h"

#include <algorithm>
#include <csignal>
#include <iostream>
#include <streambuf>
#include <string>

#include "app/config_loader.h"
#include "app/evaluator_factory.h"
#include "app/pool_factory.h"
#include "app/run_config.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "runtime/mpi_worker.h"
#include "space/space_options.h"

namespace mctsnas {
namespace fs = std::filesystem;

namespace {

// stderr with "rank N: " before each line: mpirun merges every rank's output.
class RankLines final : public std::streambuf {
 public:
  explicit RankLines(int rank) : prefix_("rank " + std::to_string(rank) + ": ") {}

 protected:
  int overflow(int c) override {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    line_ += static_cast<char>(c);
    if (c == '\n') {
      std::cerr << prefix_ << line_ << std::flush;
      line_.clear();
    }
    return c;
  }

 private:
  std::string prefix_;
  std::string line_;
};

}  // namespace

int run_worker_rank(MpiSession& session) {
  // mpirun passes SIGTERM and SIGINT to every rank; rank 0 decides when this rank's
  // trials stop (its stop message) and says so, so here the signal only has to not
  // kill the process. A handler, not SIG_IGN: processes this rank execs for its
  // trials get the default action back.
  struct sigaction sa {};
  sa.sa_handler = [](int) {};
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::optional<MpiWorkerSetup> setup;
  try {
    setup = receive_mpi_setup();
  } catch (const std::exception& e) {   // rank 0 waits for this rank's hello or error
    report_mpi_setup_error(session, e.what());
    return 2;
  }
  if (!setup) return 0;
  RankLines lines(session.rank());   // outlives the pool, which logs to it
  std::ostream log(&lines);
  std::unique_ptr<SearchSpace> space;
  std::unique_ptr<Evaluator> evaluator;
  std::unique_ptr<TrialPool> pool;
  MpiWorkerOptions wo;
  try {
    // Its own folder, for the config its trial processes read and their logs.
    const fs::path dir = fs::path(setup->run_dir) / "workers" / ("rank-" + std::to_string(session.rank()));
    fs::create_directories(dir);
    write_file_atomically(dir / "config.resolved.yaml", setup->config_yaml);
    // Rank 0's tokenizer, so this host trains none of its own.
    for (const auto& [name, bytes] : setup->run_files) write_file_atomically(dir / name, bytes);
    RunOptions cfg = load_resolved_config(dir / "config.resolved.yaml");
    // Beats often enough that a healthy worker never looks silent to rank 0.
    wo.heartbeat_seconds = std::min(wo.heartbeat_seconds, cfg.resources.heartbeat_timeout / 4);
    space = make_space(cfg.space);
    evaluator = make_evaluator(cfg, *space);
    PoolSetup ps;
    ps.run_dir = dir;
    ps.log = &log;
    pool = make_trial_pool(cfg, *evaluator, ps);
  } catch (const std::exception& e) {
    report_mpi_setup_error(session, e.what());
    return 2;
  }
  run_mpi_worker(session, *pool, wo);
  return 0;
}

}  // namespace mctsnas
