#pragma once
// What `mctsnas search` / `resume` do on a worker rank under mpirun (rank >= 1):
// take the run's resolved config from rank 0, build this host's own local pool from
// it (as a single-host run would) and serve rank 0 until it sends shutdown.
#include "runtime/mpi_session.h"

namespace mctsnas {

// Exit code: 0 after shutdown, 2 when this host cannot run the config (rank 0 is
// told, names the rank and host, and ends the run).
int run_worker_rank(MpiSession& session);

}  // namespace mctsnas
