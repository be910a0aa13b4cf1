#include "search/prefix_tree.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "common/error.h"

namespace mctsnas {

PrefixTree::PrefixTree(TreeCore& core) : core_(core) { core_.new_node(0, 0); }

double PrefixTree::predict(const Architecture& a) const {
  // Optimism under uncertainty: ranking by mean + beta * std sends the search to
  // choices whose features the model has rarely seen
  // (bench/results/search_efficiency.md, ucb_beta).
  const Surrogate& s = *core_.surrogate();
  double v = s.predict(a);
  if (core_.options().ucb_beta != 0) v += core_.options().ucb_beta * s.uncertainty(a);
  return v;
}

Architecture PrefixTree::complete_for_prior(std::vector<Choice> prefix) const {
  // Complete a prefix with the best architecture's remaining choices where legal,
  // so that siblings are compared in the context the search currently favours.
  const Architecture* best = core_.best_arch();
  std::vector<Choice> legal;
  while (static_cast<int>(prefix.size()) < core_.decisions()) {
    core_.space().legal_choices(prefix, legal);
    Choice c = legal.empty() ? 0 : legal[0];
    if (best && std::find(legal.begin(), legal.end(), best->choices[prefix.size()]) != legal.end())
      c = best->choices[prefix.size()];
    prefix.push_back(c);
  }
  return Architecture{std::move(prefix)};
}

void PrefixTree::scored_children(uint32_t node, const std::vector<Choice>& node_prefix,
                                 std::vector<ScoredChild>& out) const {
  const std::vector<Node>& nodes = core_.nodes();
  const Node& parent = nodes.at(node);
  out.clear();
  for (uint32_t i = 0; i < parent.num_children; ++i) out.push_back(ScoredChild{parent.first_child + i, i});
  std::vector<double> pred;
  if (core_.ranks_by_surrogate()) {
    std::vector<Choice> prefix = node_prefix;
    for (const ScoredChild& k : out) {
      prefix.push_back(nodes[k.node].choice);
      pred.push_back(predict(complete_for_prior(prefix)));
      prefix.pop_back();
    }
  }
  core_.score(parent, pred, out);
}

std::vector<ScoredChild> PrefixTree::children(uint32_t node) const {
  std::vector<ScoredChild> out;
  scored_children(node, arch_of(node).choices, out);
  return out;
}

void PrefixTree::expand(uint32_t node, const std::vector<Choice>& prefix) {
  std::vector<Choice> legal;
  core_.space().legal_choices(prefix, legal);
  MCTSNAS_CHECK(legal.size() < 65536, "a decision has more than 65535 choices");
  std::vector<Node>& nodes = core_.nodes();
  const uint32_t first = static_cast<uint32_t>(nodes.size());
  for (Choice c : legal) {
    uint32_t n = core_.new_node(0, static_cast<uint8_t>(prefix.size() + 1));
    nodes[n].choice = c;
  }
  nodes[node].first_child = first;
  nodes[node].num_children = static_cast<uint16_t>(legal.size());
  if (legal.empty()) nodes[node].flags |= Node::kExhausted;
}

void PrefixTree::mark_exhausted(const std::vector<uint32_t>& path) {
  std::vector<Node>& nodes = core_.nodes();
  nodes[path.back()].flags |= Node::kExhausted;
  for (size_t i = path.size() - 1; i-- > 0;) {
    Node& p = nodes[path[i]];
    for (uint32_t c = 0; c < p.num_children; ++c)
      if (!nodes[p.first_child + c].has(Node::kExhausted)) return;
    p.flags |= Node::kExhausted;
  }
}

uint32_t PrefixTree::pick_child(uint32_t cur, const std::vector<Choice>& prefix, bool random_walk) {
  const std::vector<Node>& nodes = core_.nodes();
  if (random_walk) {
    std::vector<uint32_t> open;
    for (uint32_t i = 0; i < nodes[cur].num_children; ++i)
      if (!nodes[nodes[cur].first_child + i].has(Node::kExhausted)) open.push_back(nodes[cur].first_child + i);
    return open.empty() ? NodeIndex::kNone : open[core_.rng().below(open.size())];
  }
  std::vector<ScoredChild> kids;
  scored_children(cur, prefix, kids);
  const size_t pick = argmax_score(kids);
  if (kids.empty() || kids[pick].score == -std::numeric_limits<double>::infinity()) return NodeIndex::kNone;
  return kids[pick].node;
}

std::optional<Proposal> PrefixTree::propose_one() {
  const bool random_walk = core_.in_random_phase();
  // Every failed descent marks at least one node exhausted, so this ends.
  while (!core_.nodes()[0].has(Node::kExhausted)) {
    std::vector<uint32_t> path{0};
    std::vector<Choice> prefix;
    uint32_t cur = 0;
    bool dead_end = false;
    while (static_cast<int>(prefix.size()) < core_.decisions()) {
      if (core_.nodes()[cur].first_child == 0) expand(cur, prefix);
      const uint32_t next = core_.nodes()[cur].num_children == 0 ? NodeIndex::kNone
                                                                 : pick_child(cur, prefix, random_walk);
      if (next == NodeIndex::kNone) {
        dead_end = true;
        break;
      }
      cur = next;
      path.push_back(cur);
      prefix.push_back(core_.nodes()[cur].choice);
    }
    if (dead_end) {
      mark_exhausted(path);
      continue;
    }
    if (auto p = finish(std::move(path), std::move(prefix), random_walk)) return p;
  }
  return std::nullopt;
}

std::optional<Proposal> PrefixTree::finish(std::vector<uint32_t> path, std::vector<Choice> prefix, bool random_walk) {
  Architecture a{std::move(prefix)};
  const uint64_t key = core_.key_of(a.choices);
  const uint32_t known = core_.index().find(key, core_.nodes());
  mark_exhausted(path);  // a terminal is proposed once
  if (known == NodeIndex::kNone) {
    core_.nodes()[path.back()].key = key;
    core_.index().insert(key, path.back(), core_.nodes());
    if (random_walk) core_.count_random();
    return core_.emit(std::move(a), std::move(path));
  }
  // Transposition: the same (or an isomorphic) architecture was reached by
  // another path. Its known result updates this path; nothing is proposed.
  const Node& k = core_.nodes()[known];
  if (k.has(Node::kEvaluated) && !k.has(Node::kFailed)) core_.backup(path, core_.scorer().value_of(k), false);
  return std::nullopt;
}

Architecture PrefixTree::arch_of(uint32_t node) const {
  // Parents are not stored: walk up by finding each node's parent, a linear
  // scan (only dumps, tests and the report ask).
  const std::vector<Node>& nodes = core_.nodes();
  std::vector<Choice> rev;
  uint32_t cur = node;
  while (cur != 0) {
    rev.push_back(nodes[cur].choice);
    uint32_t parent = 0;
    for (uint32_t i = 0; i < nodes.size(); ++i) {
      const Node& n = nodes[i];
      if (n.num_children && cur >= n.first_child && cur < n.first_child + n.num_children) {
        parent = i;
        break;
      }
    }
    cur = parent;
  }
  std::reverse(rev.begin(), rev.end());
  return Architecture{rev};
}

std::vector<Architecture> PrefixTree::most_visited_path() const {
  // Partial architectures (choices so far) down the most visited child.
  const std::vector<Node>& nodes = core_.nodes();
  std::vector<Architecture> path;
  uint32_t cur = 0;
  Architecture prefix;
  path.push_back(prefix);
  while (nodes[cur].num_children) {
    uint32_t pick = nodes[cur].first_child;
    for (uint32_t i = 0; i < nodes[cur].num_children; ++i)
      if (nodes[nodes[cur].first_child + i].visits > nodes[pick].visits) pick = nodes[cur].first_child + i;
    if (nodes[pick].visits == 0) break;
    cur = pick;
    prefix.choices.push_back(nodes[cur].choice);
    path.push_back(prefix);
  }
  return path;
}

std::string PrefixTree::dump_node(uint32_t node) const {
  const Node& n = core_.nodes()[node];
  char buf[96];
  std::snprintf(buf, sizeof buf, " choice=%u children=%u+%u", n.choice, n.first_child, n.num_children);
  return buf;
}

void PrefixTree::save(ByteWriter& out) const {
  // The edit tree's choice table and open list, empty here (one layout for both shapes).
  out.put_vector(std::vector<uint8_t>{});
  out.put_vector(std::vector<uint64_t>{});
}

void PrefixTree::load(ByteReader& in) {
  if (!in.get_vector<uint8_t>().empty()) in.fail("MCTS choice table has the wrong size");
  if (core_.nodes().empty()) in.fail("MCTS prefix tree has no root");
  if (!in.get_vector<uint64_t>().empty()) in.fail("MCTS open list of a prefix tree is not empty");
  check_children(in);
}

// Every expanded node's children are what expand() makes of its prefix: the legal
// choices in order, one level deeper. A crafted file with another choice would
// otherwise reach the surrogate's feature map out of range.
void PrefixTree::check_children(ByteReader& in) const {
  const std::vector<Node>& nodes = core_.nodes();
  std::vector<std::pair<uint32_t, std::vector<Choice>>> stack = {{0, {}}};
  std::vector<Choice> legal;
  std::vector<bool> seen(nodes.size(), false);   // a node with two parents would be walked twice
  while (!stack.empty()) {
    auto [i, prefix] = std::move(stack.back());
    stack.pop_back();
    const Node& n = nodes[i];
    if (!n.num_children) continue;
    if (static_cast<int>(prefix.size()) >= core_.space().num_decisions())
      in.fail("MCTS node " + std::to_string(i) + " is a complete architecture with children");
    core_.space().legal_choices(prefix, legal);
    if (n.num_children != legal.size()) in.fail("MCTS node " + std::to_string(i) + " has the wrong number of children");
    for (uint32_t k = 0; k < n.num_children; ++k) {
      const Node& c = nodes[n.first_child + k];
      if (seen[n.first_child + k]) in.fail("MCTS node " + std::to_string(n.first_child + k) + " has two parents");
      seen[n.first_child + k] = true;
      if (c.choice != legal[k] || c.depth != prefix.size() + 1)
        in.fail("MCTS node " + std::to_string(n.first_child + k) + " is not a legal choice of its parent's prefix");
      auto child_prefix = prefix;
      child_prefix.push_back(c.choice);
      stack.emplace_back(n.first_child + k, std::move(child_prefix));
    }
  }
}

}  // namespace mctsnas
