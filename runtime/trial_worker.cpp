#include "runtime/trial_worker.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <iostream>
#include <new>

#include "common/error.h"
#include "evaluator/trial_json.h"
#include "runtime/budget.h"
#include "runtime/trial_pool.h"

namespace mctsnas {

nlohmann::json to_json(const WorkerRequest& r) {
  return {{"id", r.id},     {"choices", r.arch.choices}, {"budget", to_json(r.budget)},
          {"baseline", r.baseline}, {"seed", r.seed}};
}

WorkerRequest worker_request_from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw Error(where + ": a trial request must be a JSON object");
  WorkerRequest r;
  try {
    r.id = json_integer<uint64_t>(j.at("id"), where, "id");
    r.arch.choices = choices_from_json(j.at("choices"), where);
    r.baseline = j.value("baseline", false);
    r.seed = j.value("seed", uint32_t{0});
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": bad trial request: " + e.what());
  }
  if (!j.contains("budget")) throw Error(where + ": missing field 'budget'");
  r.budget = trial_budget_from_json(j["budget"], where);
  return r;
}

TrialResult result_from_exception(const std::exception& e) {
  TrialResult r;
  std::string what = e.what();
  if (dynamic_cast<const std::bad_alloc*>(&e) || what.find("can't allocate memory") != std::string::npos)
    r.status = TrialStatus::oom_host;
  else if (what.find("CUDA out of memory") != std::string::npos ||
           what.find("CUDA error: out of memory") != std::string::npos)
    r.status = TrialStatus::oom_gpu;
  else
    r.status = TrialStatus::crashed;
  r.error = r.status == TrialStatus::oom_host ? "host memory allocation failed: " + what : what;
  // Keep the message to one line for trials.jsonl readers and the report.
  auto nl = r.error.find('\n');
  if (nl != std::string::npos) r.error = r.error.substr(0, nl);
  r.score = std::nan("");
  return r;
}

void mark_non_finite_as_diverged(TrialResult& r) {
  if (has_score(r.status) && !std::isfinite(r.score)) {
    r.status = TrialStatus::diverged;
    r.error = "the evaluator returned a non-finite score (" + std::to_string(r.score) + ")";
  }
}

namespace {

bool read_line(int fd, std::string& line) {
  char c;
  while (true) {
    ssize_t n = ::read(fd, &c, 1);
    if (n == 0) return !line.empty();
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (c == '\n') return true;
    line.push_back(c);
  }
}

bool write_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}

std::atomic<bool> g_worker_stop{false};
void on_term(int) { g_worker_stop.store(true); }

// The trial's log (the worker's stderr, RUN_DIR/logs/trial-ID.log) gets what a user
// debugging it needs: the request, every validation report, the outcome.
class LoggedReports : public ProgressSink {
 public:
  explicit LoggedReports(std::chrono::steady_clock::time_point t0) : t0_(t0) {}
  bool keep_going(int64_t step, double value) override {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    std::cerr << "mctsnas trial: step " << step << ": validation " << value << " (" << s << " s)\n" << std::flush;
    return true;
  }

 private:
  std::chrono::steady_clock::time_point t0_;
};

void log_request(const WorkerRequest& req) {
  std::cerr << "mctsnas trial " << trial_name(req.id, req.baseline, req.seed)
            << " (pid " << ::getpid() << "): choices " << nlohmann::json(req.arch.choices).dump()
            << (req.baseline ? " (the reference model trained like them)" : "") << "\n"
            << "mctsnas trial: budget " << to_json(req.budget).dump() << "\n"
            << std::flush;
}

void log_result(const TrialResult& r) {
  nlohmann::json j = to_json(r);
  std::cerr << "mctsnas trial: " << j.at("status").get<std::string>() << " in " << r.seconds << " s, score "
            << j.at("score").dump() << "\nmctsnas trial: metrics " << j.at("metrics").dump() << "\n";
  if (!r.error.empty()) std::cerr << "mctsnas trial: error: " << r.error << "\n";
  std::cerr << std::flush;
}

}  // namespace

void install_trial_stop_handler() { std::signal(SIGTERM, on_term); }

int run_trial_worker(const EvaluatorFactory& make, int in_fd, int out_fd) {
  // If the search process dies (even by SIGKILL), its workers must not train on.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  // SIGTERM asks the evaluator to stop between steps (the parent kills after a grace).
  install_trial_stop_handler();

  std::string line;
  if (!read_line(in_fd, line)) {
    std::cerr << "mctsnas trial: no request on stdin (this command is run by mctsnas search)\n";
    return 2;
  }
  WorkerRequest req;
  try {
    req = worker_request_from_json(nlohmann::json::parse(line), "trial request");
  } catch (const std::exception& e) {
    std::cerr << "mctsnas trial: " << e.what() << "\n";
    return 2;
  }
  return run_trial_request(req, make, out_fd);
}

int run_trial_request(const WorkerRequest& req, const EvaluatorFactory& make, int out_fd) {
  auto t0 = std::chrono::steady_clock::now();
  TrialResult result;
  AppliedBudget applied;
  log_request(req);
  try {
    applied = apply_budget(req.budget);
    for (const auto& n : applied.notes) std::cerr << "mctsnas trial: budget: " << n << "\n";
    std::unique_ptr<Evaluator> evaluator = make();
    LoggedReports reports(t0);
    result = evaluate_request(*evaluator, req.arch, req.baseline, req.seed, req.budget, StopToken(&g_worker_stop),
                              &reports);
    mark_non_finite_as_diverged(result);
  } catch (const std::exception& e) {
    result = result_from_exception(e);
  }
  if (result.seconds == 0)
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  log_result(result);

  struct rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  nlohmann::json out = {{"id", req.id},
                        {"result", to_json(result)},
                        {"worker",
                         {{"pid", ::getpid()},
                          {"peak_rss_bytes", static_cast<int64_t>(ru.ru_maxrss) * 1024},
                          {"cpu_seconds", ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
                                              1e-6 * (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec)},
                          {"host_memory_cap", applied.host_memory},
                          {"cpu_set_applied", applied.cpu_set}}}};
  if (!write_all(out_fd, out.dump() + "\n")) return 3;
  return 0;
}

}  // namespace mctsnas
