#include "runtime/mpi_worker.h"

#include <set>

#include "common/error.h"
#include "common/strings.h"
#include "runtime/inline_pool.h"
#include "runtime/mpi_messages.h"

namespace mctsnas {

namespace {

constexpr int kCoordinator = 0;

// The worker's side of one search: what it holds for rank 0 and whether it stops.
class WorkerLoop {
 public:
  WorkerLoop(const MpiSession& s, TrialPool& pool, const MpiWorkerOptions& o) : s_(s), pool_(pool), o_(o) {}
  void run();

 private:
  bool serve_messages();   // false on shutdown
  void ask_for_work();
  void send_results(std::vector<TrialOutcome> outs);
  void after_stop();

  const MpiSession& s_;
  TrialPool& pool_;
  const MpiWorkerOptions& o_;
  std::set<uint64_t> holding_;   // trials rank 0 gave this worker, not yet returned
  int asked_ = 0;                // slots asked for, not yet filled
  bool stopping_ = false;
  bool stopped_ = false;
};

bool WorkerLoop::serve_messages() {
  while (auto m = mpi_poll(kCoordinator)) {
    if (m->tag == MpiTag::shutdown) {
      if (!stopping_) pool_.stop(0);
      return false;
    }
    if (m->tag == MpiTag::trial) {
      TrialRequest r = request_from_json(m->json(), "MPI trial from rank 0");
      holding_.insert(r.id);
      --asked_;
      if (!stopping_) pool_.submit(std::move(r));   // else: reported as dropped
    } else if (m->tag == MpiTag::stop) {
      stopping_ = true;
      pool_.stop(m->json().at("grace").get<double>());
    } else {
      throw Error("MPI: unexpected message '" + std::string(name_of(m->tag)) + "' from rank 0");
    }
  }
  return true;
}

void WorkerLoop::ask_for_work() {
  if (stopping_) return;
  const int free = pool_.capacity() - pool_.in_flight() - asked_;
  if (free <= 0) return;
  mpi_send(kCoordinator, MpiTag::want, nlohmann::json{{"free", free}});
  asked_ += free;
}

void WorkerLoop::send_results(std::vector<TrialOutcome> outs) {
  const double now = run_clock_seconds();
  for (auto& o : outs) {
    o.host = s_.host();
    o.rank = s_.rank();
    holding_.erase(o.id);
    mpi_send(kCoordinator, MpiTag::result, outcome_to_json(o, now));
  }
}

// Once the stopped pool is empty: what it killed (or never started) goes back as
// dropped, so rank 0's count of trials in flight reaches zero.
void WorkerLoop::after_stop() {
  if (!stopping_ || stopped_ || pool_.in_flight() > 0) return;
  mpi_send(kCoordinator, MpiTag::stopped, nlohmann::json{{"dropped", holding_}});
  holding_.clear();
  stopped_ = true;
}

void WorkerLoop::run() {
  mpi_send(kCoordinator, MpiTag::hello, nlohmann::json{{"host", s_.host()}, {"capacity", pool_.capacity()}});
  PollBackoff backoff;
  double last_beat = run_clock_seconds();
  while (serve_messages()) {
    ask_for_work();
    std::vector<TrialOutcome> outs;
    if (pool_.in_flight() > 0) outs = pool_.wait(0.05);
    if (outs.empty() && pool_.in_flight() == 0) backoff.idle(); else backoff.reset();
    send_results(std::move(outs));
    after_stop();
    if (run_clock_seconds() - last_beat >= o_.heartbeat_seconds) {
      last_beat = run_clock_seconds();
      mpi_send(kCoordinator, MpiTag::heartbeat, nlohmann::json{{"running", pool_.in_flight()}});
    }
  }
}

}  // namespace

std::optional<MpiWorkerSetup> receive_mpi_setup() {
  MpiMessage m = mpi_receive(kCoordinator);
  if (m.tag == MpiTag::shutdown) return std::nullopt;
  if (m.tag != MpiTag::setup) throw Error("MPI: expected 'setup' from rank 0, got '" + std::string(name_of(m.tag)) + "'");
  nlohmann::json j = m.json();
  MpiWorkerSetup s;
  s.config_yaml = j.at("config_yaml").get<std::string>();
  s.run_dir = j.at("run_dir").get<std::string>();
  const nlohmann::json files = j.value("run_files", nlohmann::json::object());
  for (const auto& [name, hex] : files.items()) {
    auto bytes = hex.is_string() ? from_hex(hex.get<std::string>()) : std::nullopt;
    // A plain file name: the worker writes it into its own folder, nowhere else.
    if (!bytes || name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
      throw Error("MPI: setup from rank 0: run file '" + one_line(name) + "' is not a plain name with hex content");
    s.run_files[name] = std::move(*bytes);
  }
  return s;
}

void report_mpi_setup_error(const MpiSession& session, const std::string& message) {
  mpi_send(kCoordinator, MpiTag::error, nlohmann::json{{"host", session.host()}, {"error", message}});
  await_mpi_shutdown();
}

void run_mpi_worker(const MpiSession& session, TrialPool& pool, const MpiWorkerOptions& options) {
  WorkerLoop(session, pool, options).run();
}

}  // namespace mctsnas
