#include "runtime/mpi_pool.h"

#include <mpi.h>

#include <algorithm>
#include <ostream>

#include "common/error.h"
#include "common/strings.h"
#include "runtime/inline_pool.h"
#include "runtime/mpi_messages.h"

namespace mctsnas {

namespace {

std::string ids_text(const std::set<uint64_t>& ids) {
  std::string out;
  for (uint64_t id : ids) out += (out.empty() ? "#" : ", #") + std::to_string(id);
  return out;
}

}  // namespace

MpiPool::MpiPool(MpiSession& session, MpiPoolOptions options)
    : session_(session), options_(std::move(options)) {
  MCTSNAS_CHECK(session_.rank() == 0 && session_.distributed(), "MpiPool runs on rank 0 of several");
  try {
    greet_workers();
  } catch (...) {
    session_.shutdown_workers();
    throw;
  }
}

MpiPool::~MpiPool() { session_.shutdown_workers(); }

void MpiPool::greet_workers() {
  nlohmann::json files = nlohmann::json::object();
  for (const auto& [name, bytes] : options_.run_files) files[name] = to_hex(bytes);
  const nlohmann::json setup = {{"config_yaml", options_.config_yaml}, {"run_dir", options_.run_dir}, {"run_files", files}};
  for (int r = 1; r < session_.size(); ++r) mpi_send(r, MpiTag::setup, setup);
  int greeted = 0;
  while (greeted < session_.size() - 1) {
    MpiMessage m = mpi_receive(MPI_ANY_SOURCE);
    if (m.tag != MpiTag::hello) {
      handle(m);   // a worker's error: throws, naming its rank
      continue;
    }
    nlohmann::json j = m.json();
    Worker& w = workers_[m.source];
    w.host = j.value("host", std::string());
    w.capacity = j.value("capacity", 0);
    w.last_heard = run_clock_seconds();
    capacity_ += w.capacity;
    ++greeted;
    if (options_.log)
      *options_.log << "resources: rank " << m.source << " on " << w.host << ": up to " << w.capacity
                    << " trial(s) at once\n";
  }
}

MpiPool::Worker& MpiPool::worker(int rank) {
  auto it = workers_.find(rank);
  if (it == workers_.end()) throw Error("MPI: a message from rank " + std::to_string(rank) + ", which never said hello");
  return it->second;
}

void MpiPool::handle(const MpiMessage& m) {
  const std::string from = "rank " + std::to_string(m.source);
  if (m.tag == MpiTag::error) {
    const nlohmann::json j = m.json();
    throw Error(from + " (" + j.value("host", std::string("?")) + "): " + j.value("error", std::string("?")));
  }
  Worker& w = worker(m.source);
  w.last_heard = run_clock_seconds();
  w.reported_silent = false;
  if (m.tag == MpiTag::want) {
    const int free = m.json().at("free").get<int>();
    for (int i = 0; i < free; ++i) asks_.push_back(m.source);
  } else if (m.tag == MpiTag::result) {
    TrialOutcome o = outcome_from_json(m.json(), run_clock_seconds(), "MPI result from " + from);
    w.trials.erase(o.id);
    done_.push_back(std::move(o));
  } else if (m.tag == MpiTag::stopped) {
    w.trials.clear();   // the trials it killed: not returned, re-run on resume
    w.stopped = true;
  } else if (m.tag != MpiTag::heartbeat) {
    throw Error("MPI: unexpected message '" + std::string(name_of(m.tag)) + "' from " + from);
  }
}

void MpiPool::dispatch() {
  while (!stopping_ && !queued_.empty() && !asks_.empty()) {
    const int r = asks_.front();
    asks_.pop_front();
    Worker& w = worker(r);
    if (w.stopped) continue;
    TrialRequest& t = queued_.front();
    mpi_send(r, MpiTag::trial, request_to_json(t));
    w.trials.insert(t.id);
    queued_.pop_front();
  }
}

int MpiPool::in_flight() const {
  size_t n = queued_.size() + done_.size();
  for (const auto& [rank, w] : workers_) n += w.trials.size();
  return static_cast<int>(n);
}

void MpiPool::submit(TrialRequest request) {
  queued_.push_back(std::move(request));
  dispatch();
}

std::vector<TrialOutcome> MpiPool::wait(double timeout_seconds) {
  const double deadline = run_clock_seconds() + timeout_seconds;
  PollBackoff backoff;
  while (true) {
    while (auto m = mpi_poll(MPI_ANY_SOURCE)) {
      handle(*m);
      backoff.reset();
    }
    dispatch();
    check_silent();
    if (!done_.empty() || in_flight() == 0 || run_clock_seconds() >= deadline) return std::exchange(done_, {});
    backoff.idle();
  }
}

void MpiPool::stop(double grace_seconds) {
  if (stopping_) return;
  stopping_ = true;
  queued_.clear();   // never started: the run loop re-runs them on resume
  for (auto& [rank, w] : workers_)
    if (!w.stopped) mpi_send(rank, MpiTag::stop, nlohmann::json{{"grace", grace_seconds}});
}

void MpiPool::check_silent() {
  const double now = run_clock_seconds();
  if (now - last_silence_check_ < std::min(1.0, options_.heartbeat_timeout / 4)) return;
  last_silence_check_ = now;
  for (auto& [rank, w] : workers_) {
    if (w.trials.empty() || w.reported_silent || now - w.last_heard < options_.heartbeat_timeout) continue;
    w.reported_silent = true;
    if (options_.log)
      *options_.log << "warning: rank " << rank << " (" << w.host << ") has sent nothing for "
                    << static_cast<int>(now - w.last_heard) << " s while holding trial(s) " << ids_text(w.trials)
                    << ": stuck or overloaded; the wall-time cap of its trials still applies there\n";
  }
}

}  // namespace mctsnas
