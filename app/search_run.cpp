#include "app/search_run.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <ctime>
#include <iostream>
#include <map>

#include "app/checkpoint.h"
#include "app/evaluator_factory.h"
#include "app/pool_factory.h"
#include "app/progress.h"
#include "app/report.h"
#include "app/run_lock.h"
#include "app/trials_csv.h"
#include "app/trial_log.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "common/strings.h"
#include "runtime/inline_pool.h"
#include "search/searcher.h"
#include "space/space_options.h"

namespace mctsnas {
namespace fs = std::filesystem;

fs::path new_run_dir(const fs::path& root, const std::string& name) {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  fs::path base = root / (name + "-" + stamp);
  fs::path dir = base;
  for (int i = 2; fs::exists(dir); ++i) dir = fs::path(base.string() + "-" + std::to_string(i));
  return dir;
}

namespace {

// The loop's bookkeeping, kept in one place so that checkpoint and summary agree.
class SearchLoop {
 public:
  explicit SearchLoop(const SearchRunOptions& o) : o_(o), cfg_(o.config) {}
  SearchRunResult run();

 private:
  void open_fresh();
  void open_resumed();
  void refill(bool submit);
  void submit_or_replay(uint64_t id, const Architecture& arch);
  bool observe_ready();
  // logged_bytes: set when the trial's line is already in trials.jsonl (resume).
  void observe(TrialOutcome o, std::optional<size_t> logged_bytes);
  void write_checkpoint_now();
  // Trains the evaluator's reference model like the best architecture, once per
  // best, into baseline.json; summary.json and the report show it beside the best.
  void run_baseline();
  void load_baseline();
  void write_summary(const std::string& state) const;
  // report.html, trials.csv and search_stats.json: refreshed every few minutes and
  // at the end. A failure here is a warning; it never stops the search.
  void write_outputs(const std::string& state);
  double reward_of(const TrialResult& r) const;
  bool better(double score) const;
  double elapsed() const { return elapsed_before_ + (run_clock_seconds() - started_); }
  void warn(const std::string& msg) const {
    if (o_.err) *o_.err << "warning: " << msg << '\n';
  }
  bool stop_requested() const { return o_.stop && o_.stop->load(); }
  void show_progress(bool new_best);

  const SearchRunOptions& o_;
  const RunOptions& cfg_;
  fs::path dir_;
  std::unique_ptr<SearchSpace> space_;
  std::unique_ptr<Evaluator> evaluator_;
  std::unique_ptr<Searcher> searcher_;
  std::unique_ptr<TrialPool> pool_;
  AppendFile log_;

  int64_t target_ = 0;
  int64_t observed_ = 0;
  int64_t observed_here_ = 0;
  int64_t failed_ = 0;
  uint64_t log_bytes_ = 0;
  double started_ = 0;
  double elapsed_before_ = 0;
  double last_outputs_ = 0;
  std::optional<uint64_t> best_id_;
  double best_score_ = 0;
  Architecture best_arch_;
  bool dirty_ = true;
  bool exhausted_ = false;

  std::map<uint64_t, Architecture> in_flight_;   // proposed, not yet observed
  std::map<uint64_t, TrialOutcome> ready_;       // finished, waiting to be observed
  std::map<uint64_t, size_t> ready_logged_;      // of those, already in trials.jsonl: line bytes
  std::map<uint64_t, LoggedTrial> recorded_;     // resume: finished after the checkpoint
  std::optional<Progress> progress_;
  std::optional<nlohmann::json> baseline_;       // baseline.json
};

constexpr uint64_t kBaselineId = ~uint64_t{0};

double SearchLoop::reward_of(const TrialResult& r) const {
  if (!has_score(r.status) || !std::isfinite(r.score)) return std::nan("");
  return cfg_.objective.goal == "minimize" ? -r.score : r.score;
}

bool SearchLoop::better(double score) const {
  if (!best_id_) return true;
  return cfg_.objective.goal == "minimize" ? score < best_score_ : score > best_score_;
}

void SearchLoop::open_fresh() {
  if (fs::exists(dir_ / "tree.ckpt"))
    throw Error(dir_.string() + ": already holds a run (tree.ckpt); use `mctsnas resume " + dir_.string() +
                "` or another --run-dir");
  fs::create_directories(dir_);
  write_file_atomically(dir_ / "config.resolved.yaml", o_.resolved_config_yaml);
  fs::remove(dir_ / "trials.jsonl");
  log_ = AppendFile(dir_ / "trials.jsonl");
}

void SearchLoop::open_resumed() {
  CheckpointState ck = read_checkpoint(dir_ / "tree.ckpt");
  if (ck.algorithm != searcher_->name())
    throw Error((dir_ / "tree.ckpt").string() + ": was written by algorithm '" + ck.algorithm +
                "', but the config says '" + searcher_->name() + "'");
  ByteReader r(ck.searcher_state, (dir_ / "tree.ckpt").string() + " (searcher state)");
  searcher_->load(r);
  observed_ = ck.observed;
  log_bytes_ = ck.trials_bytes;
  elapsed_before_ = ck.elapsed_seconds;
  if (ck.best_id) {
    best_id_ = ck.best_id;
    best_score_ = ck.best_score;
    best_arch_.choices = ck.best_choices;
  }
  std::string warning;
  auto tail = read_trial_log_tail(dir_ / "trials.jsonl", ck.trials_bytes, *space_, &warning);
  if (!warning.empty()) warn(warning);
  for (auto& t : tail) recorded_.emplace(t.outcome.id, std::move(t));
  log_ = AppendFile(dir_ / "trials.jsonl");
  // Trials in flight when the checkpoint was written: take their result from
  // trials.jsonl when they finished before the stop, otherwise run them again.
  const std::string what = (dir_ / "tree.ckpt").string();
  for (const auto& t : ck.in_flight) {
    Architecture a{t.choices};
    if (!space_->is_legal(a))
      throw Error(what + ": in-flight trial " + std::to_string(t.id) + " is not a legal architecture of this space");
    in_flight_[t.id] = a;
    auto rec = recorded_.find(t.id);
    bool in_log = rec != recorded_.end() && rec->second.outcome.arch == a;
    if (!t.finished_line.empty() && !in_log)
      ready_[t.id] = parse_trial_line(t.finished_line, *space_, what + " (trial " + std::to_string(t.id) + ")");
    else
      submit_or_replay(t.id, a);
  }
}

void SearchLoop::submit_or_replay(uint64_t id, const Architecture& arch) {
  auto it = recorded_.find(id);
  if (it != recorded_.end() && it->second.outcome.arch == arch) {
    // Already in trials.jsonl (beyond the checkpoint): observe it, do not re-run it.
    ready_[id] = it->second.outcome;
    ready_logged_[id] = it->second.line.size() + 1;
    recorded_.erase(it);
    return;
  }
  pool_->submit(TrialRequest{id, arch});
}

// Proposes up to the parallel limit. While stopping, proposals are not run but
// kept as in flight, so the resumed run sees the same sequence of propose/observe
// calls as an uninterrupted one.
void SearchLoop::refill(bool submit) {
  const int parallel = std::max(1, cfg_.search.parallel);
  int64_t want = std::min<int64_t>(target_ - observed_ - static_cast<int64_t>(in_flight_.size()),
                                   parallel - static_cast<int64_t>(in_flight_.size()));
  if (want <= 0 || exhausted_) return;
  auto proposals = searcher_->propose(static_cast<int>(want));
  if (proposals.empty() && in_flight_.empty()) exhausted_ = true;
  for (auto& p : proposals) {
    in_flight_[p.id] = p.arch;
    if (submit) submit_or_replay(p.id, p.arch);
    dirty_ = true;
  }
}

void SearchLoop::observe(TrialOutcome o, std::optional<size_t> logged_bytes) {
  double reward = reward_of(o.result);
  if (logged_bytes) {
    log_bytes_ += *logged_bytes;
  } else {
    std::string line = trial_line(*space_, o, reward);
    log_.append_line(line);
    log_bytes_ += line.size() + 1;
  }
  ++observed_;
  ++observed_here_;
  bool new_best = false;
  if (std::isnan(reward)) {
    ++failed_;
  } else if (better(o.result.score)) {
    best_id_ = o.id;
    best_score_ = o.result.score;
    best_arch_ = o.arch;
    new_best = true;
  }
  searcher_->observe(Proposal{o.id, o.arch}, reward);
  in_flight_.erase(o.id);
  dirty_ = true;
  show_progress(new_best);
}

void SearchLoop::show_progress(bool new_best) {
  if (!progress_) return;
  ProgressState st;
  st.done = observed_;
  st.total = target_;
  st.failed = failed_;
  if (best_id_) {
    st.best = best_score_;
    st.best_id = best_id_;
  }
  st.elapsed = run_clock_seconds() - started_;
  st.done_here = observed_here_;
  progress_->update(st, new_best);
}

// Observes the next finished trial the mode allows; false when there is none.
bool SearchLoop::observe_ready() {
  if (ready_.empty()) return false;
  uint64_t id;
  if (cfg_.search.deterministic) {
    // Proposal order: only the oldest trial in flight may be observed.
    id = in_flight_.begin()->first;
    if (!ready_.count(id)) return false;
  } else {
    id = ready_.begin()->first;
  }
  TrialOutcome o = std::move(ready_.at(id));
  ready_.erase(id);
  std::optional<size_t> logged;
  if (auto it = ready_logged_.find(id); it != ready_logged_.end()) {
    logged = it->second;
    ready_logged_.erase(it);
  }
  observe(std::move(o), logged);
  return true;
}

void SearchLoop::write_checkpoint_now() {
  CheckpointState ck;
  ck.algorithm = searcher_->name();
  ck.observed = observed_;
  ck.trials_bytes = log_bytes_;
  ck.elapsed_seconds = elapsed();
  ck.best_id = best_id_;
  ck.best_score = best_score_;
  ck.best_choices = best_arch_.choices;
  for (const auto& [id, arch] : in_flight_) {
    CheckpointTrial t{id, arch.choices, {}};
    // Finished but not observed: keep the result (unless trials.jsonl has it already).
    if (auto it = ready_.find(id); it != ready_.end() && !ready_logged_.count(id))
      t.finished_line = trial_line(*space_, it->second, reward_of(it->second.result));
    ck.in_flight.push_back(std::move(t));
  }
  ByteWriter w;
  searcher_->save(w);
  ck.searcher_state = std::move(w.bytes());
  write_checkpoint(dir_ / "tree.ckpt", ck);
  dirty_ = false;
}

void SearchLoop::write_summary(const std::string& state) const {
  nlohmann::json j;
  j["name"] = cfg_.name;
  j["algorithm"] = cfg_.search.algorithm;
  j["space"] = space_->kind();
  j["objective"] = {{"metric", cfg_.objective.metric}, {"goal", cfg_.objective.goal}};
  j["trials_finished"] = observed_;
  j["trials_failed_here"] = failed_;
  j["trials_target"] = target_;
  if (best_id_)
    j["best"] = {{"id", *best_id_}, {"arch", space_->key(best_arch_)}, {"score", best_score_}};
  else
    j["best"] = nullptr;
  j["wall_seconds"] = elapsed();
  j["state"] = state;
  if (baseline_) j["baseline"] = (*baseline_)["summary"];
  j["mctsnas_version"] = MCTSNAS_VERSION;
  write_file_atomically(dir_ / "summary.json", j.dump(2) + "\n");
}

void SearchLoop::write_outputs(const std::string& state) {
  last_outputs_ = run_clock_seconds();
  write_summary(state);
  try {
    SearchStats st = searcher_->stats();
    nlohmann::json j;
    j["nodes"] = st.nodes;
    j["visits_by_depth"] = st.visits_by_depth;
    nlohmann::json path = nlohmann::json::array();
    for (const auto& a : st.most_visited_path) path.push_back(space_->key(a));
    j["most_visited_path"] = path;
    write_file_atomically(dir_ / "search_stats.json", j.dump(2) + "\n");
    write_trials_csv(dir_);
    write_report(dir_);
  } catch (const std::exception& e) {
    warn(std::string("could not write the report: ") + e.what());
  }
}

void SearchLoop::load_baseline() {
  fs::path p = dir_ / "baseline.json";
  if (!fs::exists(p)) return;
  try {
    baseline_ = nlohmann::json::parse(read_file(p));
    (void)baseline_->at("like").get<std::vector<Choice>>();
    (void)baseline_->at("summary").at("score");
  } catch (const std::exception& e) {
    warn(p.string() + ": unreadable (" + e.what() + "); the baseline will be trained again");
    baseline_.reset();
  }
}

void SearchLoop::run_baseline() {
  if (!best_id_ || !evaluator_->has_baseline() || !cfg_.task.baseline) return;
  if (baseline_ && (*baseline_)["like"].get<std::vector<Choice>>() == best_arch_.choices) return;
  if (o_.out) *o_.out << "training the reference baseline (same width and depth as the best)\n" << std::flush;
  pool_->submit(TrialRequest{kBaselineId, best_arch_, /*baseline=*/true});
  std::optional<TrialOutcome> got;
  bool stopping = false;
  double deadline = 0;
  while (!got) {
    if (!stopping && stop_requested()) {
      stopping = true;
      deadline = run_clock_seconds() + o_.grace_seconds;
      pool_->stop(o_.grace_seconds);
    }
    if (stopping && ((o_.stop_now && o_.stop_now->load()) || run_clock_seconds() > deadline)) return;
    for (auto& out : pool_->wait(0.5))
      if (out.id == kBaselineId) got = std::move(out);
    if (!got && pool_->in_flight() == 0) return;
  }
  nlohmann::json summary = nlohmann::json::parse(trial_line(*space_, *got, reward_of(got->result)));
  summary["arch"] = "transformer (full attention), width and depth of trial " + std::to_string(*best_id_);
  nlohmann::json j;
  j["like"] = best_arch_.choices;
  j["summary"] = summary;
  write_file_atomically(dir_ / "baseline.json", j.dump(2) + "\n");
  baseline_ = j;
  if (o_.out) {
    *o_.out << "baseline: " << to_string(got->result.status);
    if (has_score(got->result.status)) *o_.out << ", " << cfg_.objective.metric << " = " << got->result.score;
    *o_.out << '\n';
  }
}

SearchRunResult SearchLoop::run() {
  dir_ = o_.run_dir;
  space_ = make_space(cfg_.space);
  evaluator_ = make_evaluator(cfg_, *space_);
  searcher_ = make_searcher(cfg_.search, *space_, cfg_.seed);
  PoolSetup pool_setup;   // in-process or worker processes, as resources.isolation says
  pool_setup.run_dir = dir_;
  pool_setup.stop_now = o_.stop_now;
  pool_setup.log = o_.err;
  pool_ = make_trial_pool(cfg_, *evaluator_, pool_setup);
  target_ = cfg_.search.trials;
  started_ = run_clock_seconds();
  if (o_.out) progress_.emplace(*o_.out, o_.tty);

  if (o_.resume && !fs::is_directory(dir_)) throw Error(dir_.string() + ": no such run directory");
  fs::create_directories(dir_);
  RunLock lock = RunLock::acquire(dir_);  // held until the run returns
  if (o_.resume) {
    open_resumed();
    load_baseline();
  } else {
    open_fresh();
  }
  write_summary("running");
  last_outputs_ = run_clock_seconds();

  bool stopping = false;
  double grace_deadline = 0;
  while (true) {
    if (!stopping && (stop_requested() ||
                      (o_.max_trials_this_process && observed_here_ >= *o_.max_trials_this_process))) {
      stopping = true;
      grace_deadline = run_clock_seconds() + o_.grace_seconds;
      pool_->stop(o_.grace_seconds);
    }
    refill(/*submit=*/!stopping);
    if (dirty_) write_checkpoint_now();
    if (o_.report_every_seconds > 0 && run_clock_seconds() - last_outputs_ > o_.report_every_seconds)
      write_outputs("running");
    if (observe_ready()) continue;
    if (stopping) {
      // Finished trials still come back during the grace period; a second
      // signal or the deadline ends it (killed trials re-run on resume).
      bool now = (o_.stop_now && o_.stop_now->load()) || run_clock_seconds() > grace_deadline;
      if (now || pool_->in_flight() == 0) {
        if (!ready_.empty()) write_checkpoint_now();  // keeps finished, unobserved results
        break;
      }
    } else if (in_flight_.empty()) {
      break;
    }
    for (auto& out : pool_->wait(0.25)) ready_[out.id] = std::move(out);
  }
  if (progress_) progress_->finish();
  bool done = observed_ >= target_ || (exhausted_ && in_flight_.empty());
  if (done && !stop_requested()) run_baseline();

  bool finished = observed_ >= target_ || (exhausted_ && in_flight_.empty());
  write_outputs(finished ? "finished" : "interrupted");

  SearchRunResult res;
  res.run_dir = dir_;
  res.trials = observed_;
  res.finished = finished;
  res.best_id = best_id_;
  res.best_score = best_score_;
  if (best_id_) res.best_arch = space_->key(best_arch_);
  res.wall_seconds = elapsed();
  return res;
}

}  // namespace

SearchRunResult run_search(const SearchRunOptions& options) {
  SearchLoop loop(options);
  return loop.run();
}

}  // namespace mctsnas
