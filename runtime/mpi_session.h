#pragma once
// MPI for one process: initialized only when an MPI launcher (mpirun, srun) started
// this process, finalized when the session ends. MPI allows one initialization per
// process, so the session is process-wide: current() is the live one, if any.
// Only `search`, `resume` and `doctor` start one; a trial worker process (forked or
// exec'd by a rank's local pool) inherits the launcher's variables but never
// initializes MPI.
#include <memory>
#include <string>

namespace mctsnas {

class MpiSession {
 public:
  // A session when the environment says an MPI launcher started this process
  // (OMPI_COMM_WORLD_SIZE, PMIX_RANK or PMI_SIZE), else nullptr.
  static std::unique_ptr<MpiSession> start_if_launched();
  static MpiSession* current();
  ~MpiSession();   // MPI_Finalize
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  const std::string& host() const { return host_; }
  // More than one rank: rank 0 coordinates, the others are workers.
  bool distributed() const { return size_ > 1; }
  // Rank 0: sends every worker the shutdown message, once. The session's end does it
  // too, so workers still waiting for a setup end when rank 0 fails before its pool.
  void shutdown_workers();

 private:
  MpiSession();
  int rank_ = 0;
  int size_ = 1;
  std::string host_;
  bool workers_shut_down_ = false;
};

}  // namespace mctsnas
