#pragma once
// The trial pool of rank 0 under mpirun: trials run on the worker ranks 1..N-1, each
// of which runs its host's own local pool (runtime/mpi_worker.h). Workers ask for
// work when they have free slots; submit() queues a trial and hands it to the first
// worker that asked; wait() serves every rank's messages (MPI_ANY_SOURCE). The run
// loop sees an ordinary TrialPool: which rank ran a trial changes nothing in the
// search, whose deterministic mode observes trials in proposal order anyway.
//
// A worker that sends nothing (no result, no heartbeat) for heartbeat_timeout seconds
// while it holds trials is logged once as silent; its trials' wall-time cap still
// applies on its host. A rank that dies ends the MPI job (Open MPI's default); resume
// then re-runs the trials that were in flight.
//
// Not thread-safe: the run loop's thread (the one that started the MPI session).
#include <deque>
#include <iosfwd>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "runtime/mpi_session.h"
#include "runtime/trial_pool.h"

namespace mctsnas {

struct MpiMessage;

struct MpiPoolOptions {
  std::string config_yaml;        // the resolved config the workers run
  std::string run_dir;            // workers keep their files in run_dir/workers/rank-N
  // Evaluator::run_files (a trained tokenizer): each worker writes them beside its
  // copy of the config, so every host reads rank 0's, whatever its file system.
  std::map<std::string, std::string> run_files;
  double heartbeat_timeout = 60;  // resources.heartbeat_timeout: silence before a busy worker is logged
  std::ostream* log = nullptr;    // silent workers, and which rank runs what at start
};

class MpiPool final : public TrialPool {
 public:
  // Sends the setup to every worker and waits for each one's hello. Throws Error
  // naming the rank and host of a worker that cannot run the config.
  MpiPool(MpiSession& session, MpiPoolOptions options);
  ~MpiPool() override;   // shutdown to every worker

  int capacity() const override { return capacity_; }
  int in_flight() const override;
  void submit(TrialRequest request) override;
  std::vector<TrialOutcome> wait(double timeout_seconds) override;
  void stop(double grace_seconds) override;

 private:
  struct Worker {
    std::string host;
    int capacity = 0;
    std::set<uint64_t> trials;    // handed to it, not yet back
    double last_heard = 0;        // run_clock_seconds()
    bool stopped = false;         // answered a stop: holds nothing more
    bool reported_silent = false;
  };
  void greet_workers();
  void handle(const MpiMessage& m);
  void dispatch();
  void check_silent();
  Worker& worker(int rank);

  MpiSession& session_;
  MpiPoolOptions options_;
  std::map<int, Worker> workers_;
  std::deque<TrialRequest> queued_;   // submitted, no worker has asked yet
  std::deque<int> asks_;              // one entry per free slot a worker asked to fill
  std::vector<TrialOutcome> done_;
  int capacity_ = 0;
  bool stopping_ = false;
  double last_silence_check_ = 0;
};

}  // namespace mctsnas
