// How many trials per second rank 0 hands out and takes back under mpirun: the
// MpiPool of a real search (app/pool_factory) with instant trials (task.kind fault,
// behaviour ok, in-process on each worker rank), kept full for a few seconds.
// Measures the transport and rank 0's message loop, not the searcher or the run
// directory's writes (bench/results/engine_cost.md has those).
//
//   mpirun --oversubscribe -np W+1 bench_mpi_throughput [--seconds 3] [--per-worker 4]
//
// Prints one Markdown row: workers, trials in flight, trials, seconds, trials/s, and
// rank 0's CPU time per trial.
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "app/config_loader.h"
#include "app/evaluator_factory.h"
#include "app/mpi_worker_rank.h"
#include "app/pool_factory.h"
#include "common/error.h"
#include "runtime/inline_pool.h"
#include "space/space_options.h"

using namespace mctsnas;
namespace fs = std::filesystem;

namespace {

double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

std::string config_yaml(int per_worker) {
  return "name: mpi-throughput\nseed: 1\nspace:\n  kind: categorical\n  categorical:\n    decisions:\n"
         "      - {name: behaviour, choices: [ok]}\n      - {name: x, choices: ['0', '1', '2', '3']}\n"
         "task: {kind: fault}\nsearch: {trials: 1000000, parallel: " + std::to_string(per_worker) +
         "}\nresources: {isolation: inline}\n";
}

int coordinator(MpiSession& mpi, double seconds, int per_worker) {
  const fs::path dir = fs::temp_directory_path() / ("mctsnas-mpi-throughput-" + std::to_string(::getpid()));
  RunOptions cfg = load_config_text(config_yaml(per_worker), "bench_mpi_throughput config");
  auto space = make_space(cfg.space);
  auto evaluator = make_evaluator(cfg, *space);
  PoolSetup setup;
  setup.run_dir = dir;
  auto pool = make_trial_pool(cfg, *evaluator, setup);
  const int workers = mpi.size() - 1;
  const int in_flight = per_worker * workers;
  const Architecture arch{{0, 1}};
  uint64_t next = 0, done = 0;
  auto fill = [&] {
    while (pool->in_flight() < in_flight) pool->submit(TrialRequest{next++, arch});
  };
  fill();
  for (int i = 0; i < in_flight; ++i) pool->wait(1.0);   // warm-up: every worker has asked
  const double t0 = run_clock_seconds(), c0 = process_cpu_seconds();
  while (run_clock_seconds() - t0 < seconds) {
    fill();
    done += pool->wait(0.1).size();
  }
  const double wall = run_clock_seconds() - t0, cpu = process_cpu_seconds() - c0;
  std::printf("| %d | %d | %llu | %.2f | %.0f | %.1f |\n", workers, in_flight, static_cast<unsigned long long>(done),
              wall, static_cast<double>(done) / wall, 1e6 * cpu / static_cast<double>(done));
  pool.reset();
  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3;
  int per_worker = 4;
  for (int i = 1; i < argc; i += 2) {
    const bool known = !std::strcmp(argv[i], "--seconds") || !std::strcmp(argv[i], "--per-worker");
    if (!known || i + 1 >= argc) {
      std::fprintf(stderr, "bench_mpi_throughput: %s: expected --seconds S or --per-worker N\n", argv[i]);
      return 2;
    }
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[i + 1]);
    else per_worker = std::atoi(argv[i + 1]);
  }
  if (seconds <= 0 || per_worker < 1) {
    std::fprintf(stderr, "bench_mpi_throughput: --seconds must be > 0 and --per-worker >= 1\n");
    return 2;
  }
  auto mpi = MpiSession::start_if_launched();
  if (!mpi || !mpi->distributed()) {
    std::fprintf(stderr, "bench_mpi_throughput: run it under mpirun with at least 2 ranks\n");
    return 2;
  }
  try {
    return mpi->rank() == 0 ? coordinator(*mpi, seconds, per_worker) : run_worker_rank(*mpi);
  } catch (const Error& e) {
    std::fprintf(stderr, "bench_mpi_throughput: %s\n", e.what());
    return 2;
  }
}
