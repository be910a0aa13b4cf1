#include "app/search_run.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <set>

#include "app/checkpoint.h"
#include "app/config_fingerprint.h"
#include "app/config_loader.h"
#include "app/cost_constraints.h"
#include "app/evaluator_factory.h"
#include "app/pool_factory.h"
#include "app/pareto_set.h"
#include "app/progress.h"
#include "app/report.h"
#include "app/run_config.h"
#include "app/run_lock.h"
#include "app/seed_comparison.h"
#include "app/trials_csv.h"
#include "app/trial_log.h"
#include "common/atomic_file.h"
#include "common/crc32.h"
#include "common/error.h"
#include "common/strings.h"
#include "evaluator/trial_json.h"
#include "runtime/inline_pool.h"
#include "runtime/stop_signals.h"
#include "search/multi_objective.h"
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

// As a stream prints a double: 6 significant digits.
std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// A step of the most visited path: a prefix tree's steps are partial architectures
// (the decisions made so far), which key() cannot name: "decision=label, ...".
std::string path_step(const SearchSpace& space, const Architecture& a) {
  if (static_cast<int>(a.choices.size()) == space.num_decisions()) return space.key(a);
  if (a.choices.empty()) return "(no decision yet)";
  std::string s;
  for (size_t i = 0; i < a.choices.size(); ++i) {
    const Decision& d = space.decision(static_cast<int>(i));
    const auto c = static_cast<size_t>(a.choices[i]);
    s += (i ? ", " : "") + d.name + "=" + (c < d.choices.size() ? d.choices[c] : std::to_string(c));
  }
  return s;
}

// Bad input, not a filesystem failure: a file where the run directory (or a folder
// above it) would go, or a resume of something that is not a directory.
void check_run_dir_path(const fs::path& dir, bool resume) {
  std::error_code ec;
  if (resume) {
    if (!fs::is_directory(dir, ec)) throw Error(dir.string() + ": no such run directory");
    return;
  }
  for (fs::path p = dir; !p.empty(); p = p.parent_path()) {
    fs::file_status st = fs::status(p, ec);
    if (fs::exists(st)) {
      if (!fs::is_directory(st))
        throw Error(p.string() + ": exists and is not a directory" +
                    (p == dir ? std::string() : " (a folder of the run directory " + dir.string() + ")") +
                    "; choose another --run-dir");
      return;
    }
    if (p == p.parent_path()) return;
  }
}

// The loop's bookkeeping, kept in one place so that checkpoint and summary agree.
class SearchLoop {
 public:
  explicit SearchLoop(const SearchRunOptions& o) : o_(o), cfg_(o.config) {}
  SearchRunResult run();

 private:
  void setup();
  void open_fresh();
  void open_resumed();
  void check_target() const;
  // Runs trials until the target, the end of the space, or a stop.
  void run_trials();
  bool done() const { return observed_ >= target_ || (exhausted_ && in_flight_.empty()); }
  SearchRunResult result(bool finished) const;
  CheckpointState checked_checkpoint();
  void replay_log_tail(const CheckpointState& ck);
  void refill(bool submit);
  void submit_or_replay(uint64_t id, const Architecture& arch);
  bool observe_ready();
  // logged_bytes: set when the trial's line is already in trials.jsonl (resume).
  void observe(TrialOutcome o, std::optional<size_t> logged_bytes);
  void write_checkpoint_now();
  // After the search, at once: the evaluator's reference model trained like the best
  // architecture, once per best, into baseline.json (summary.json and the report show
  // it beside the best); and the best and the reference from task.baseline_seeds
  // other seeds each (app/seed_comparison.h), each run kept in baseline_seeds.json as
  // it finishes.
  void run_references();
  bool baseline_due() const;
  void record_baseline(const TrialOutcome& got);
  void load_baseline();
  void load_seed_comparison();
  void record_seed_run(const TrialOutcome& got);
  nlohmann::json seed_statistics() const {
    return seeds_->statistics(cfg_.objective.metric, cfg_.objective.goal == Goal::minimize);
  }
  // Hands each outcome of the submitted `ids` to `got` as it finishes; false when the
  // run is stopped meanwhile or the pool gives up.
  bool collect(std::set<uint64_t> ids, const std::function<void(TrialOutcome&)>& got);
  void write_summary(const std::string& state) const;
  // report.html, trials.csv and search_stats.json: refreshed every few minutes and
  // at the end. A failure here is a warning; it never stops the search.
  void write_outputs(const std::string& state);
  double reward_of(const TrialResult& r) const;
  void observe_in_searcher(const TrialOutcome& o, double reward);
  // A resumed Pareto search: the set of the trials observed before the checkpoint.
  void rebuild_pareto_set(const std::string& log_text, uint64_t observed_bytes);
  bool better(double score) const;
  double elapsed() const { return elapsed_before_ + (run_clock_seconds() - started_); }
  // Seconds of the run (across resumes) at run_clock_seconds() == 0.
  double run_offset() const { return elapsed_before_ - started_; }
  std::string line_of(const TrialOutcome& o) const { return trial_line(*space_, o, reward_of(o.result), run_offset()); }
  void say(const std::string& msg) const {
    if (o_.out) *o_.out << msg << '\n' << std::flush;
  }
  void warn(const std::string& msg) const {
    if (o_.err) *o_.err << "warning: " << msg << '\n';
  }
  bool stop_requested() const { return o_.stop && o_.stop->load(); }
  void show_progress(bool new_best);
  void submit(TrialRequest request);

  const SearchRunOptions& o_;
  RunOptions cfg_;   // o.config, with the run's task.tokenizer_cache on resume
  fs::path dir_;
  std::unique_ptr<SearchSpace> space_;
  SearchedSpace searched_;   // the space as the searcher walks it (up-front constraints)
  std::unique_ptr<Evaluator> evaluator_;
  std::unique_ptr<Searcher> searcher_;
  std::optional<ParetoSet> pareto_;        // a Pareto search (objective.metrics)
  std::unique_ptr<TrialPool> pool_;
  AppendFile log_;

  int64_t target_ = 0;
  double space_count_ = 0;   // architectures in the space when exact, else infinity
  int64_t observed_ = 0;
  int64_t observed_here_ = 0;
  int64_t failed_ = 0;
  uint64_t log_bytes_ = 0;
  Crc32 log_crc_;                 // of trials.jsonl's first crc_bytes_ bytes
  uint64_t crc_bytes_ = 0;        // == log_bytes_ except while resumed trials are replayed
  std::string fingerprint_;       // config_fingerprint() of this run's config
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
  std::map<uint64_t, std::string> ready_lines_;  // of those, kept in the checkpoint: their line
  std::map<uint64_t, double> submitted_at_;      // run_clock_seconds() at submission
  std::vector<double> trial_seconds_;            // durations of the trials finished here
  std::map<uint64_t, LoggedTrial> recorded_;     // resume: finished after the checkpoint
  std::optional<Progress> progress_;
  std::optional<nlohmann::json> baseline_;       // baseline.json
  std::optional<SeedComparison> seeds_;          // baseline_seeds.json, for the best
};

constexpr uint64_t kBaselineId = ~uint64_t{0};

// How the progress line names a running request.
std::string request_label(uint64_t id) {
  if (id == kBaselineId) return "baseline";
  if (auto s = seed_run_of(id)) return trial_name(id, s->first, s->second);
  return "#" + std::to_string(id);
}

double SearchLoop::reward_of(const TrialResult& r) const {
  if (!has_score(r.status) || !std::isfinite(r.score)) return std::nan("");
  return cfg_.objective.goal == Goal::minimize ? -r.score : r.score;
}

bool SearchLoop::better(double score) const {
  if (!best_id_) return true;
  return cfg_.objective.goal == Goal::minimize ? score < best_score_ : score > best_score_;
}

void SearchLoop::open_fresh() {
  // A directory that holds results is never overwritten: `search --run-dir` into it
  // would have truncated trials.jsonl.
  for (const char* f : {"tree.ckpt", "tree.ckpt.prev", "trials.jsonl"}) {
    std::error_code ec;
    if (fs::exists(dir_ / f, ec) && (std::string(f) != "trials.jsonl" || fs::file_size(dir_ / f, ec) > 0))
      throw Error(dir_.string() + ": already holds a run (" + f + "); continue it with `mctsnas resume " +
                  dir_.string() + "`, or choose another --run-dir (nothing here was changed)");
  }
  fs::create_directories(dir_);
  write_file_atomically(dir_ / "config.resolved.yaml", o_.resolved_config_yaml);
  log_ = AppendFile(dir_ / "trials.jsonl");
}

CheckpointState SearchLoop::checked_checkpoint() {
  std::string warning;
  CheckpointState ck = read_run_checkpoint(dir_, &warning);
  if (!warning.empty()) warn(warning);
  const std::string what = (dir_ / "tree.ckpt").string();
  if (ck.algorithm != searcher_->name())
    throw Error(what + ": was written by algorithm '" + ck.algorithm + "', but the config says '" +
                searcher_->name() + "'");
  if (!ck.config_fingerprint.empty()) {
    const std::string defaults = config_fingerprint(resolved_yaml(RunOptions{}));
    std::string diff = fingerprint_diff(ck.config_fingerprint, fingerprint_, defaults);
    if (!diff.empty())
      throw Error((dir_ / "config.resolved.yaml").string() + ": changed since the run started (" + diff +
                  "); these settings decide its results, so resume refuses them (what may change: see "
                  "README, Stopping); undo the edit, or start a new run");
  }
  validate_checkpoint(ck, *space_, what);
  return ck;
}

void SearchLoop::replay_log_tail(const CheckpointState& ck) {
  std::string warning;
  auto tail = read_trial_log_tail(dir_ / "trials.jsonl", {ck.trials_bytes, ck.observed, ck.trials_crc}, *space_,
                                  &warning);
  if (!warning.empty()) warn(warning);
  if (fs::exists(dir_ / "trials.jsonl")) {
    // The CRC covers what is in the file now; lines observed from here on extend it.
    std::string text = read_file(dir_ / "trials.jsonl");
    log_crc_.update(text);
    crc_bytes_ = text.size();
    if (pareto_) rebuild_pareto_set(text, ck.trials_bytes);
  }
  for (auto& t : tail) recorded_.emplace(t.outcome.id, std::move(t));
}

void SearchLoop::rebuild_pareto_set(const std::string& log_text, uint64_t observed_bytes) {
  uint64_t complete = 0;
  const std::string_view observed = std::string_view(log_text).substr(0, observed_bytes);
  for (const auto& t : parse_trial_log_tail(observed, {}, *space_, (dir_ / "trials.jsonl").string(), complete)) {
    const TrialOutcome& o = t.outcome;
    if (!std::isnan(reward_of(o.result))) pareto_->add(o.id, space_->key(o.arch), o.result.metrics);
  }
}

void SearchLoop::open_resumed() {
  CheckpointState ck = checked_checkpoint();
  ByteReader r(ck.searcher_state, (dir_ / "tree.ckpt").string() + " (searcher state)");
  searcher_->load(r);
  observed_ = ck.observed;
  check_target();
  log_bytes_ = ck.trials_bytes;
  elapsed_before_ = ck.elapsed_seconds;
  if (ck.best_id) {
    best_id_ = ck.best_id;
    best_score_ = ck.best_score;
    best_arch_.choices = ck.best_choices;
  }
  replay_log_tail(ck);
  log_ = AppendFile(dir_ / "trials.jsonl");
  // Trials in flight when the checkpoint was written: take their result from
  // trials.jsonl when they finished before the stop, otherwise run them again.
  const std::string what = (dir_ / "tree.ckpt").string();
  for (const auto& t : ck.in_flight) {   // legal: checked_checkpoint() validated them
    Architecture a{t.choices};
    in_flight_[t.id] = a;
    auto rec = recorded_.find(t.id);
    bool in_log = rec != recorded_.end() && rec->second.outcome.arch == a;
    if (!t.finished_line.empty() && !in_log) {
      ready_[t.id] = parse_trial_line(t.finished_line, *space_, what + " (trial " + std::to_string(t.id) + ")");
      ready_lines_[t.id] = t.finished_line;
    } else {
      submit_or_replay(t.id, a);
    }
  }
}

// A resumed run goes on to its target: one below what is already finished is a mistake.
void SearchLoop::check_target() const {
  const int64_t least = std::max<int64_t>(1, observed_);
  if (target_ >= least) return;
  const std::string finished = observed_ > 0 ? " (this run has finished " + std::to_string(observed_) + " trials)" : "";
  throw Error((o_.trials_from_flag ? "--trials " : "search.trials = ") + std::to_string(target_) + ": must be >= " +
              std::to_string(least) + finished);
}

void SearchLoop::submit(TrialRequest request) {
  submitted_at_[request.id] = run_clock_seconds();
  pool_->submit(std::move(request));
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
  submit(TrialRequest{id, arch});
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
    auto kept = ready_lines_.find(o.id);   // a previous process's result, written as it was
    std::string line = kept != ready_lines_.end() ? kept->second : line_of(o);
    log_.append_line(line);
    log_bytes_ += line.size() + 1;
    log_crc_.update(line);
    log_crc_.update("\n");
    crc_bytes_ += line.size() + 1;
  }
  ready_lines_.erase(o.id);
  submitted_at_.erase(o.id);
  trial_seconds_.push_back(o.finished_at - o.started_at);
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
  observe_in_searcher(o, reward);
  in_flight_.erase(o.id);
  dirty_ = true;
  write_summary("running");   // `ls`, scripts and the report's reader see every trial
  show_progress(new_best);
}

// A Pareto search's searcher takes every objective metric; the Pareto set is kept here.
void SearchLoop::observe_in_searcher(const TrialOutcome& o, double reward) {
  const Proposal p{o.id, o.arch};
  if (!pareto_) return searcher_->observe(p, reward);
  Objectives rewards = std::isnan(reward) ? Objectives{} : pareto_->rewards(o.result.metrics);
  if (rewards.empty()) rewards.assign(cfg_.objective.metrics.size(), std::nan(""));
  searcher_->observe_objectives(p, rewards);
  if (!std::isnan(reward)) pareto_->add(o.id, space_->key(o.arch), o.result.metrics);
}

void SearchLoop::show_progress(bool new_best) {
  if (!progress_) return;
  ProgressState st;
  st.done = observed_;
  st.total = static_cast<int64_t>(std::min<double>(static_cast<double>(target_), space_count_));
  st.failed = failed_;
  if (best_id_) {
    st.best = best_score_;
    st.best_id = best_id_;
  }
  const double now = run_clock_seconds();
  st.elapsed = now - started_;
  for (const auto& [id, at] : submitted_at_)
    st.running.push_back({request_label(id), now - at});
  const size_t recent = std::min<size_t>(trial_seconds_.size(), 10);
  for (size_t i = trial_seconds_.size() - recent; i < trial_seconds_.size(); ++i)
    st.typical_trial_seconds += trial_seconds_[i] / static_cast<double>(recent);
  st.baseline_pending = !submitted_at_.count(kBaselineId) && evaluator_->has_baseline() && cfg_.task.baseline;
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
  if (crc_bytes_ == log_bytes_) ck.trials_crc = log_crc_.value();
  ck.config_fingerprint = fingerprint_;
  for (const auto& [id, arch] : in_flight_) {
    CheckpointTrial t{id, arch.choices, {}};
    // Finished but not observed: keep the result (unless trials.jsonl has it already).
    if (auto it = ready_.find(id); it != ready_.end() && !ready_logged_.count(id))
      t.finished_line = ready_lines_.count(id) ? ready_lines_.at(id) : line_of(it->second);
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
  j["objective"] = {{"metric", cfg_.objective.metric}, {"goal", name_of(cfg_.objective.goal)}};
  if (pareto_) j["pareto"] = pareto_->to_json();
  j["trials_finished"] = observed_;
  j["trials_failed_here"] = failed_;
  j["trials_target"] = target_;
  if (best_id_)
    j["best"] = {{"id", *best_id_}, {"arch", space_->key(best_arch_)}, {"score", best_score_}};
  else
    j["best"] = nullptr;
  j["wall_seconds"] = elapsed();
  j["state"] = state;
  if (baseline_) {
    j["baseline"] = (*baseline_)["summary"];
    j["baseline"]["id"] = "baseline";   // runs from before the name had the internal number
  }
  if (seeds_) j["baseline_seeds"] = seed_statistics();
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
    for (const auto& a : st.most_visited_path) path.push_back(path_step(*space_, a));
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
    (void)choices_from_json(baseline_->at("like"), p.string());
    (void)baseline_->at("summary").at("score");
  } catch (const std::exception& e) {
    warn(p.string() + ": unreadable (" + e.what() + "); the baseline will be trained again");
    baseline_.reset();
  }
}

// Once per best architecture: baseline.json's `like` says which one it was trained like.
bool SearchLoop::baseline_due() const {
  if (!best_id_ || !evaluator_->has_baseline() || !cfg_.task.baseline) return false;
  return !baseline_ || (*baseline_)["like"].get<std::vector<Choice>>() != best_arch_.choices;
}

bool SearchLoop::collect(std::set<uint64_t> ids, const std::function<void(TrialOutcome&)>& got) {
  bool stopping = false;
  double deadline = 0;
  while (!ids.empty()) {
    if (!stopping && stop_requested()) {
      stopping = true;
      deadline = run_clock_seconds() + o_.grace_seconds;
      pool_->stop(o_.grace_seconds);
    }
    if (stopping && ((o_.stop_now && o_.stop_now->load()) || run_clock_seconds() > deadline)) return false;
    for (auto& out : pool_->wait(0.5))
      if (ids.erase(out.id)) {
        submitted_at_.erase(out.id);
        got(out);
      }
    if (!ids.empty() && pool_->in_flight() == 0) return false;
    show_progress(false);
  }
  return true;
}

void SearchLoop::record_baseline(const TrialOutcome& got) {
  nlohmann::json summary = nlohmann::json::parse(line_of(got));
  summary["id"] = "baseline";
  summary.erase("reward");   // the search never observes it
  summary["arch"] = "transformer (full attention), sized to trial #" + std::to_string(*best_id_);
  nlohmann::json j;
  j["about"] = "A standard Transformer with the layer counts of the best architecture (choices in `like`) and the "
               "width that gives it about the same number of parameters (metrics: params, and params_target, the "
               "best's), trained and scored exactly as a trial; trained again when a new best differs from `like`.";
  j["like"] = best_arch_.choices;
  j["summary"] = summary;
  write_file_atomically(dir_ / "baseline.json", j.dump(2) + "\n");
  baseline_ = j;
  std::string line = "baseline: " + std::string(to_string(got.result.status));
  if (has_score(got.result.status)) line += ", " + cfg_.objective.metric + " = " + format_number(got.result.score);
  say(line);
}

// The comparison baseline_seeds.json holds, when it is for this best and seed count.
void SearchLoop::load_seed_comparison() {
  const fs::path p = dir_ / "baseline_seeds.json";
  if (!best_id_ || !fs::exists(p)) return;
  try {
    seeds_ = SeedComparison::resume(nlohmann::json::parse(read_file(p)), cfg_.task.baseline_seeds,
                                    best_arch_.choices);
  } catch (const std::exception& e) {
    warn(p.string() + ": unreadable (" + e.what() + "); its runs will be trained again");
  }
}

void SearchLoop::record_seed_run(const TrialOutcome& got) {
  const auto [baseline, seed] = *seed_run_of(got.id);
  seeds_->add(baseline, seed, got.result);
  write_file_atomically(dir_ / "baseline_seeds.json", seeds_->to_json().dump(2) + "\n");
  std::string line = trial_name(got.id, baseline, seed) + ": " + to_string(got.result.status);
  if (has_score(got.result.status)) line += ", " + cfg_.objective.metric + " = " + format_number(got.result.score);
  say(line);
}

void SearchLoop::run_references() {
  if (!best_id_ || !evaluator_->has_baseline() || !cfg_.task.baseline) return;
  const int n = cfg_.task.baseline_seeds;
  if (n > 0 && (!seeds_ || seeds_->winner() != best_arch_.choices))
    seeds_.emplace(n, best_arch_.choices);
  std::set<uint64_t> ids;
  if (baseline_due()) {
    say("training the reference baseline (a Transformer of the size of the best, trial #" +
        std::to_string(*best_id_) + ")");
    ids.insert(kBaselineId);
    submit(TrialRequest{kBaselineId, best_arch_, /*baseline=*/true});
  }
  const auto todo = seeds_ ? seeds_->missing() : std::vector<std::pair<bool, uint32_t>>{};
  if (!todo.empty())
    say("training the best and the reference again from " + std::to_string(n) +
        " other seeds each (task.baseline_seeds): " + std::to_string(todo.size()) + " runs");
  for (const auto& [baseline, seed] : todo) {
    ids.insert(seed_run_id(baseline, seed));
    submit(TrialRequest{seed_run_id(baseline, seed), best_arch_, baseline, seed});
  }
  if (ids.empty()) return;
  const bool all = collect(ids, [&](TrialOutcome& out) {
    if (out.id == kBaselineId)
      record_baseline(out);
    else
      record_seed_run(out);
  });
  for (uint64_t id : ids) submitted_at_.erase(id);
  if (progress_) progress_->finish();
  if (all && !todo.empty())
    say("seeds: " + seed_statistics().at("verdict").get<std::string>());
}

void SearchLoop::setup() {
  dir_ = o_.run_dir;
  check_run_dir_path(dir_, o_.resume);
  {
    // Nothing is written before the run directory is locked, so a stop signal
    // during the loading (a large table, task data) ends the process at once.
    ExitOnStopWhileLoading loading;
    space_ = make_space(cfg_.space);
    // A resumed run reads the tokenizer it trained; a fresh one trains it and writes it
    // once it holds the directory (write_run_files).
    if (o_.resume) cfg_.task.tokenizer_cache = run_tokenizer_path(dir_).string();
    evaluator_ = make_evaluator(cfg_, *space_);
    searched_ = constrain(cfg_, *space_);   // may load a cost table
  }
  searcher_ = make_searcher(cfg_.search, searched_.of(*space_), cfg_.seed);
  if (cfg_.objective.metrics.size() >= 2) {   // a Pareto search
    searcher_ = make_pareto_searcher(std::move(searcher_), static_cast<int>(cfg_.objective.metrics.size()));
    pareto_.emplace(cfg_.objective);
  }
  PoolSetup pool_setup;   // in-process or worker processes, as resources.isolation says
  pool_setup.run_dir = dir_;
  pool_setup.stop_now = o_.stop_now;
  pool_setup.log = o_.err;
  pool_ = make_trial_pool(cfg_, *evaluator_, pool_setup);
  target_ = cfg_.search.trials;
  SpaceSize size = searched_.of(*space_).size();
  space_count_ = size.exact ? size.count : std::numeric_limits<double>::infinity();
  if (static_cast<double>(target_) > space_count_)
    warn("search.trials = " + std::to_string(target_) + " is more than the " + format_number(space_count_) +
         " architectures of the space" + (searched_.constrained ? " that meet objective.constraints" : "") +
         "; the search ends when it has tried them all");
  if (cfg_.train.early_stopping.kind != EarlyStopping::none)
    warn("train.early_stopping.kind: " + std::string(name_of(cfg_.train.early_stopping.kind)) +
         " is not applied yet; every trial trains its full train.steps");
  started_ = run_clock_seconds();
  if (o_.out) progress_.emplace(*o_.out, o_.tty);
}

void SearchLoop::run_trials() {
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
    show_progress(false);
  }
  if (progress_) progress_->finish();
}

SearchRunResult SearchLoop::result(bool finished) const {
  SearchRunResult res;
  res.run_dir = dir_;
  res.trials = observed_;
  res.finished = finished;
  res.exhausted = exhausted_ && observed_ < target_;
  res.best_id = best_id_;
  res.best_score = best_score_;
  if (best_id_) res.best_arch = space_->key(best_arch_);
  res.wall_seconds = elapsed();
  return res;
}

SearchRunResult SearchLoop::run() {
  setup();
  fs::create_directories(dir_);
  RunLock lock = RunLock::acquire(dir_);  // held until the run returns
  fingerprint_ = config_fingerprint(resolved_yaml(cfg_));
  if (o_.resume) {
    open_resumed();
    load_baseline();
    load_seed_comparison();
  } else {
    open_fresh();
  }
  write_run_files(*evaluator_, dir_);
  say((o_.resume ? "resuming " : "run directory: ") + dir_.string());
  write_summary("running");
  last_outputs_ = run_clock_seconds();
  run_trials();
  if (done() && !stop_requested()) run_references();
  const bool finished = done();
  write_outputs(finished ? "finished" : "interrupted");
  return result(finished);
}

}  // namespace

SearchRunResult run_search(const SearchRunOptions& options) {
  SearchLoop loop(options);
  return loop.run();
}

}  // namespace mctsnas
