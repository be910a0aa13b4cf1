#pragma once
// The messages between rank 0 (the coordinator, MpiPool) and the worker ranks
// (run_mpi_worker): one tag per kind, a body of JSON text whose size the receiver
// learns by MPI_Probe + MPI_Get_count. Trial results use the same JSON schema as
// trials.jsonl and the worker-process pipe (evaluator/trial_json.h).
//
//   rank 0                         worker rank
//     ── setup {config_yaml, run_dir, run_files} ──►
//     ◄── hello {host, capacity}  (or error {host, error: "one line"})
//     ◄── want {free}             when its local pool has free slots
//     ── trial {id, choices, baseline, seed} ──►    (one per wanted slot)
//     ◄── result {id, ..., result, budget, device, host, rank}
//     ◄── heartbeat {running}     every few seconds
//     ── stop {grace} ──►         (the search stops: SIGTERM, a stop, the end)
//     ◄── stopped {dropped: [ids]}   trials it killed, not returned
//     ── shutdown ──►             the worker leaves its loop and exits
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/mpi_session.h"
#include "runtime/trial_pool.h"

namespace mctsnas {

enum class MpiTag : int { setup = 1, hello, error, want, trial, result, heartbeat, stop, stopped, shutdown, doctor };

const char* name_of(MpiTag tag);

struct MpiMessage {
  int source = -1;
  MpiTag tag = MpiTag::error;
  std::string body;
  // The body as JSON; throws Error naming the tag and the sender when it is not.
  nlohmann::json json() const;
};

void mpi_send(int dest, MpiTag tag, const std::string& body);
inline void mpi_send(int dest, MpiTag tag, const nlohmann::json& body) { mpi_send(dest, tag, body.dump()); }
// A message from `source` (MPI_ANY_SOURCE: any) if one has arrived; never blocks.
std::optional<MpiMessage> mpi_poll(int source);
// Blocks until a message from `source` arrives (polling with short sleeps, so an
// oversubscribed host keeps its cores for the trials).
MpiMessage mpi_receive(int source);

// Sleeps between empty polls: none for the first few, then growing to 1 ms.
class PollBackoff {
 public:
  void idle();
  void reset() { empty_ = 0; }

 private:
  int empty_ = 0;
};

// Rank 0: every rank's `mine` (its own first), in rank order. Another rank: sends
// its own, waits for rank 0's shutdown and returns nothing.
std::vector<std::string> gather_at_rank0(MpiSession& session, MpiTag tag, const std::string& mine);

// Waits for rank 0's shutdown message, dropping anything else.
void await_mpi_shutdown();

nlohmann::json request_to_json(const TrialRequest& r);
TrialRequest request_from_json(const nlohmann::json& j, const std::string& where);

// Times travel as seconds before the send ("started_ago"), so the receiver puts them
// on its own run clock whatever the sender's clock reads.
nlohmann::json outcome_to_json(const TrialOutcome& o, double now);
TrialOutcome outcome_from_json(const nlohmann::json& j, double now, const std::string& where);

}  // namespace mctsnas
