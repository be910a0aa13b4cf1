#pragma once
// The fork server ("zygote") that ProcessPool starts once and asks for each trial,
// so that a trial's process does not pay the binary's start (LibTorch's shared
// libraries and static initialisers, config, space, task data: ~0.5 s on 2 busy
// cores) again and again. This is the server side; the pool's handle on it is
// runtime/fork_server_client.h.
//
// The server is this binary re-executed as `mctsnas trial --config C --fork-server
// --control-fd 3 --parent-pid P`. It builds the evaluator once (task data loaded),
// checks that it is still single-threaded (fork copies only the calling thread, so
// a thread pool or a CUDA context in the server would be broken in every child),
// says `ready`, then for each request forks one child that runs the trial exactly as
// an exec'd worker does (run_trial_request: budget applied in the child, result line
// on its own pipe). Every trial is still its own process, in its own process group,
// so a crash, an abort or an OOM kill takes down that trial only.
//
// Control channel (runtime/control_socket.h), one JSON object a message:
//   pool -> server  {"run": WorkerRequest} + SCM_RIGHTS [result write end, output write end]
//   server -> pool  {"ready": pid} | {"error": msg} once at start;
//                   {"started": id, "pid": P} | {"failed": id, "error": msg} per request;
//                   {"exited": P, "status": waitpid status} when a child is reaped.
// The pool keeps killing children itself (kill(-pid), SIGKILL) and reads their
// /proc entries; the server only reaps them and reports how they ended.
//
// Lifetimes: the server dies with the pool's process (PR_SET_PDEATHSIG, checked
// against the race by comparing getppid() with the pid it was given), children die
// with the server (same), and when the control socket closes the server kills its
// children and exits. If the server dies, the pool notices (EOF on the socket).
#include <sys/types.h>

#include "runtime/trial_worker.h"

namespace mctsnas {

// The `trial --fork-server` command. `make` builds the evaluator all trials share;
// it runs once, before `ready`. Returns the process exit code: 0 once the socket
// closes, 2 when the evaluator cannot be built or the server is not fit to fork
// (the pool then falls back to exec'd workers, which report the error per trial).
int run_fork_server(int control_fd, pid_t parent_pid, const EvaluatorFactory& make);

}  // namespace mctsnas
