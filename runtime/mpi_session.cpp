#include "runtime/mpi_session.h"

#include <mpi.h>
#include <unistd.h>

#include <cstdlib>

#include "common/error.h"
#include "runtime/mpi_messages.h"

namespace mctsnas {

namespace {
MpiSession* g_current = nullptr;
}

std::unique_ptr<MpiSession> MpiSession::start_if_launched() {
  // Without a launcher, MPI_Init would start a singleton runtime (slow, and it spawns
  // a daemon): a plain run must not pay for that.
  if (!std::getenv("OMPI_COMM_WORLD_SIZE") && !std::getenv("PMIX_RANK") && !std::getenv("PMI_SIZE"))
    return nullptr;
  return std::unique_ptr<MpiSession>(new MpiSession());
}

MpiSession* MpiSession::current() { return g_current; }

MpiSession::MpiSession() {
  MCTSNAS_CHECK(g_current == nullptr, "one MPI session per process");
  int provided = 0;
  // Only the thread that created the session calls MPI (the run loop's thread).
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) == 0) host_ = name;
  g_current = this;
}

void MpiSession::shutdown_workers() {
  if (rank_ != 0 || workers_shut_down_) return;
  workers_shut_down_ = true;
  for (int r = 1; r < size_; ++r) mpi_send(r, MpiTag::shutdown, std::string());
}

MpiSession::~MpiSession() {
  shutdown_workers();
  g_current = nullptr;
  MPI_Finalize();
}

}  // namespace mctsnas
