#include "runtime/mpi_messages.h"

#include <mpi.h>

#include <chrono>
#include <thread>

#include "common/error.h"
#include "evaluator/trial_json.h"

namespace mctsnas {

const char* name_of(MpiTag tag) {
  switch (tag) {
    case MpiTag::setup: return "setup";
    case MpiTag::hello: return "hello";
    case MpiTag::error: return "error";
    case MpiTag::want: return "want";
    case MpiTag::trial: return "trial";
    case MpiTag::result: return "result";
    case MpiTag::heartbeat: return "heartbeat";
    case MpiTag::stop: return "stop";
    case MpiTag::stopped: return "stopped";
    case MpiTag::shutdown: return "shutdown";
    case MpiTag::doctor: return "doctor";
  }
  return "unknown";
}

nlohmann::json MpiMessage::json() const {
  try {
    return nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception& e) {   // parse_error, or out_of_range for a number past double
    throw Error(std::string("MPI message '") + name_of(tag) + "' from rank " + std::to_string(source) +
                ": not valid JSON: " + e.what());
  }
}

// Blocking. It cannot deadlock: once the workers run, rank 0 sends only small
// messages (trial, stop, shutdown), which MPI delivers eagerly, so a worker blocked
// sending a large result never waits on a rank 0 that is itself blocked sending.
void mpi_send(int dest, MpiTag tag, const std::string& body) {
  MPI_Send(body.data(), static_cast<int>(body.size()), MPI_BYTE, dest, static_cast<int>(tag), MPI_COMM_WORLD);
}

std::optional<MpiMessage> mpi_poll(int source) {
  int flag = 0;
  MPI_Status st;
  MPI_Iprobe(source, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
  if (!flag) return std::nullopt;
  int count = 0;
  MPI_Get_count(&st, MPI_BYTE, &count);
  MpiMessage m;
  m.source = st.MPI_SOURCE;
  m.tag = static_cast<MpiTag>(st.MPI_TAG);
  m.body.resize(static_cast<size_t>(count));
  MPI_Recv(m.body.data(), count, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  return m;
}

MpiMessage mpi_receive(int source) {
  PollBackoff backoff;
  while (true) {
    if (auto m = mpi_poll(source)) return std::move(*m);
    backoff.idle();
  }
}

void PollBackoff::idle() {
  // A blocking MPI_Probe spins a core at 100%; on an oversubscribed host that core
  // belongs to the trials.
  ++empty_;
  if (empty_ < 64) return;
  const int us = std::min(1000, 10 << std::min(7, (empty_ - 64) / 16));
  std::this_thread::sleep_for(std::chrono::microseconds(us));
}

std::vector<std::string> gather_at_rank0(MpiSession& session, MpiTag tag, const std::string& mine) {
  if (session.rank() != 0) {
    mpi_send(0, tag, mine);
    await_mpi_shutdown();
    return {};
  }
  std::vector<std::string> all(static_cast<size_t>(session.size()));
  all[0] = mine;
  for (int r = 1; r < session.size(); ++r) {
    MpiMessage m = mpi_receive(r);
    if (m.tag != tag)
      throw Error("MPI: expected '" + std::string(name_of(tag)) + "' from rank " + std::to_string(r) + ", got '" +
                  name_of(m.tag) + "'");
    all[static_cast<size_t>(r)] = std::move(m.body);
  }
  session.shutdown_workers();
  return all;
}

void await_mpi_shutdown() {
  while (mpi_receive(0).tag != MpiTag::shutdown) {
  }
}

nlohmann::json request_to_json(const TrialRequest& r) {
  return {{"id", r.id}, {"choices", r.arch.choices}, {"baseline", r.baseline}, {"seed", r.seed}};
}

TrialRequest request_from_json(const nlohmann::json& j, const std::string& where) {
  try {
    TrialRequest r;
    r.id = json_integer<uint64_t>(j.at("id"), where, "id");
    r.arch.choices = choices_from_json(j.at("choices"), where);
    r.baseline = j.at("baseline").get<bool>();
    r.seed = j.at("seed").get<uint32_t>();
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": bad trial request: " + e.what());
  }
}

nlohmann::json outcome_to_json(const TrialOutcome& o, double now) {
  return {{"id", o.id},
          {"choices", o.arch.choices},
          {"result", to_json(o.result)},
          {"budget", to_json(o.budget)},
          {"device", o.device},
          {"host", o.host},
          {"rank", o.rank},
          {"started_ago", now - o.started_at},
          {"finished_ago", now - o.finished_at}};
}

TrialOutcome outcome_from_json(const nlohmann::json& j, double now, const std::string& where) {
  try {
    TrialOutcome o;
    o.id = json_integer<uint64_t>(j.at("id"), where, "id");
    o.arch.choices = choices_from_json(j.at("choices"), where);
    o.result = trial_result_from_json(j.at("result"), where);
    o.budget = trial_budget_from_json(j.at("budget"), where);
    o.device = j.at("device").get<std::string>();
    o.host = j.at("host").get<std::string>();
    o.rank = json_integer<int>(j.at("rank"), where, "rank");
    o.started_at = now - j.at("started_ago").get<double>();
    o.finished_at = now - j.at("finished_ago").get<double>();
    return o;
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": bad trial result: " + e.what());
  }
}

}  // namespace mctsnas
