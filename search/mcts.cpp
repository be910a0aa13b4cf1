#include "search/mcts.h"

#include <cmath>
#include <limits>

#include "common/error.h"
#include "search/edit_tree.h"
#include "search/prefix_tree.h"

namespace mctsnas {

Mcts::Mcts(const SearchSpace& space, const MctsOptions& options, TranspositionKey key, uint64_t seed)
    : Mcts(space, options, key, seed, make_surrogate(options.surrogate, space)) {}

Mcts::Mcts(const SearchSpace& space, const MctsOptions& options, TranspositionKey key, uint64_t seed,
           std::unique_ptr<Surrogate> surrogate)
    : core_(space, options, key, seed, std::move(surrogate)), edit_tree_(options.tree == TreeShape::edit) {
  if (edit_tree_)
    tree_ = std::make_unique<EditTree>(core_);
  else
    tree_ = std::make_unique<PrefixTree>(core_);
}

std::vector<Proposal> Mcts::propose(int k) {
  std::vector<Proposal> out;
  if (edit_tree_) core_.refresh_fantasies([&](uint32_t leaf) { return tree_->arch_of(leaf); });
  while (static_cast<int>(out.size()) < k) {
    auto p = tree_->propose_one();
    if (!p) break;
    if (edit_tree_) core_.fantasize(p->arch);
    out.push_back(std::move(*p));
  }
  return out;
}

void Mcts::observe(const Proposal& p, double reward) {
  const std::vector<uint32_t> path = core_.take_in_flight(p.id);
  const uint32_t leaf = path.back();
  Node& n = core_.nodes()[leaf];
  n.flags = static_cast<uint8_t>((n.flags & ~Node::kPending) | Node::kEvaluated);
  if (std::isnan(reward)) n.flags |= Node::kFailed;
  if (std::isinf(reward)) reward = std::numeric_limits<double>::quiet_NaN();  // never a value
  tree_->backup(path, reward);
  if (std::isfinite(reward)) core_.record_result(p.arch, leaf, reward);
}

SearchStats Mcts::stats() const {
  SearchStats st;
  st.nodes = static_cast<int64_t>(core_.nodes().size());
  for (const Node& n : core_.nodes()) {
    if (st.visits_by_depth.size() <= n.depth) st.visits_by_depth.resize(n.depth + 1, 0);
    st.visits_by_depth[n.depth] += n.visits;
  }
  st.most_visited_path = tree_->most_visited_path();
  return st;
}

size_t Mcts::memory_bytes() const {
  // What the tree holds (vector growth slack excluded: reserve() removes it).
  return core_.nodes().size() * sizeof(Node) + core_.index().bytes() + tree_->extra_bytes();
}

std::string Mcts::dump() const {
  std::string s = core_.dump_header(std::string(name_of(core_.options().tree)).c_str());
  for (uint32_t i = 0; i < core_.nodes().size(); ++i) {
    s += core_.dump_node(i);
    s += tree_->dump_node(i);
    s += '\n';
  }
  return s;
}

void Mcts::save(ByteWriter& out) const {
  out.bytes().reserve(out.bytes().size() + memory_bytes() + 4096);
  core_.save_head(out, edit_tree_);
  tree_->save(out);
  core_.save_tail(out);
}

void Mcts::load(ByteReader& in) {
  core_.load_head(in, edit_tree_);
  tree_->load(in);
  core_.load_tail(in);
}

const SearcherInfo& mcts_searcher() {
  static const SearcherInfo info{
      "mcts", "Monte Carlo tree search (UCT/PUCT) over an edit or prefix tree, priors from a surrogate",
      [](const SearchOptions& o, const SearchSpace& space, uint64_t seed) -> std::unique_ptr<Searcher> {
        return std::make_unique<Mcts>(space, o.mcts, o.transposition, seed);
      },
      [](config::FieldVisitor& v, SearchOptions& o) { v.field("mcts", o.mcts); }};
  return info;
}

}  // namespace mctsnas
