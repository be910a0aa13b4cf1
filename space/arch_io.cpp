#include "space/arch_io.h"

#include <yaml-cpp/yaml.h>

#include <sstream>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/strings.h"
#include "space/cell_graph.h"
#include "space/cell_space.h"
#include "space/nb201_space.h"

namespace mctsnas {
namespace {

// Reads a YAML tree (from a YAML file, or converted from JSON) with errors that
// name the source, the line when known, and the key path.
class Reader {
 public:
  explicit Reader(std::string where) : where_(std::move(where)) {}

  [[noreturn]] void fail(const YAML::Node& at, const std::string& path, const std::string& what) const {
    std::string loc = where_;
    if (at.IsDefined() && at.Mark().line >= 0) loc += ":" + std::to_string(at.Mark().line + 1);
    throw Error(one_line(loc + ": " + (path.empty() ? "" : path + ": ") + what));   // `what` may quote the file
  }
  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    throw Error(one_line(where_ + ": " + (path.empty() ? "" : path + ": ") + what));
  }

  // Checks that `map` is a mapping whose keys are all in `allowed`.
  void keys(const YAML::Node& map, const std::string& path, const std::vector<std::string>& allowed) const {
    if (!map.IsMap()) fail(map, path, "expected a mapping with keys " + join(allowed, ", "));
    for (auto it = map.begin(); it != map.end(); ++it) {
      std::string k = it->first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), k) != allowed.end()) continue;
      std::string hint = closest_match(k, allowed);
      fail(it->first, join_path(path, k),
           "unknown key" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)") + "; expected " + join(allowed, ", "));
    }
  }
  YAML::Node need(const YAML::Node& map, const std::string& path, const std::string& key) const {
    YAML::Node n = map[key];
    if (!n.IsDefined() || n.IsNull()) fail(map, join_path(path, key), "missing");
    return n;
  }
  std::string scalar(const YAML::Node& n, const std::string& path) const {
    if (!n.IsScalar()) fail(n, path, "expected a single value (a string or number)");
    return n.Scalar();
  }
  int integer(const YAML::Node& n, const std::string& path) const {
    std::string s = scalar(n, path);
    if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos)
      fail(n, path, "'" + s + "' is not a non-negative integer");
    return std::stoi(s);
  }
  static std::string join_path(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

 private:
  std::string where_;
};

Cell read_cell(const Reader& r, const YAML::Node& n, const std::string& path, const CellSpace& space, CellRole role) {
  r.keys(n, path, {"combine", "nodes"});
  Cell cell;
  cell.combine = r.scalar(r.need(n, path, "combine"), path + ".combine");
  YAML::Node nodes = r.need(n, path, "nodes");
  if (!nodes.IsSequence()) r.fail(nodes, path + ".nodes", "expected a list of nodes");
  const int want = space.nodes(role);
  if (static_cast<int>(nodes.size()) != want)
    r.fail(nodes, path + ".nodes",
           std::to_string(nodes.size()) + " nodes, but the space's " + CellSpace::role_name(role) + " cells have " +
               std::to_string(want));
  for (size_t k = 0; k < nodes.size(); ++k) {
    const std::string np = path + ".nodes[" + std::to_string(k) + "]";
    const YAML::Node node = nodes[k];
    r.keys(node, np, {"inputs"});
    YAML::Node inputs = r.need(node, np, "inputs");
    if (!inputs.IsSequence() || inputs.size() < 1 || inputs.size() > 2)
      r.fail(inputs, np + ".inputs", "expected a list of 1 or 2 edges {from: ..., op: ...}");
    CellNode cn;
    for (size_t s = 0; s < inputs.size(); ++s) {
      const std::string ep = np + ".inputs[" + std::to_string(s) + "]";
      const YAML::Node e = inputs[s];
      r.keys(e, ep, {"from", "op"});
      const YAML::Node fn = r.need(e, ep, "from");
      std::string from = r.scalar(fn, ep + ".from");
      int v = CellSpace::parse_node_label(from);
      if (v < 0 || v >= static_cast<int>(k) + 2)
        r.fail(fn, ep + ".from",
               "'" + from + "' is not an earlier node (node n" + std::to_string(k) + " may take prev, prev2" +
                   (k > 0 ? " or n0 .. n" + std::to_string(k - 1) : "") + ")");
      const YAML::Node on = r.need(e, ep, "op");
      std::string op = r.scalar(on, ep + ".op");
      auto spec = parse_op(op);
      bool known = false;
      for (const auto& o : space.ops(role)) known |= spec && o.name == spec->name;
      if (!known) {
        std::vector<std::string> names;
        for (const auto& o : space.ops(role)) names.push_back(o.name);
        std::string hint = closest_match(op, names);
        r.fail(on, ep + ".op",
               "'" + op + "' is not one of the space's " + CellSpace::role_name(role) + " ops" +
                   (hint.empty() ? "" : " (did you mean '" + hint + "'?)") + ": " + join(names, ", "));
      }
      cn.inputs.push_back(CellEdge{v, spec->name});
    }
    cell.nodes.push_back(std::move(cn));
  }
  return cell;
}

Architecture read_structured(const Reader& r, const YAML::Node& root, const CellSpace& space) {
  std::vector<std::string> allowed = {"space", "model", "d_model"};
  if (space.has_encoder()) allowed.insert(allowed.end(), {"encoder_layers", "encoder"});
  if (space.has_decoder()) allowed.insert(allowed.end(), {"decoder_layers", "decoder"});
  r.keys(root, "", allowed);
  CellArchitecture c;
  c.model = r.scalar(r.need(root, "", "model"), "model");
  const std::string model(name_of(space.options().model));
  if (c.model != model) r.fail(root["model"], "model", "'" + c.model + "' does not match the space's model '" + model + "'");
  c.d_model = r.integer(r.need(root, "", "d_model"), "d_model");
  if (space.has_encoder()) {
    c.encoder_layers = r.integer(r.need(root, "", "encoder_layers"), "encoder_layers");
    c.encoder = read_cell(r, r.need(root, "", "encoder"), "encoder", space, CellRole::encoder);
  }
  if (space.has_decoder()) {
    c.decoder_layers = r.integer(r.need(root, "", "decoder_layers"), "decoder_layers");
    c.decoder = read_cell(r, r.need(root, "", "decoder"), "decoder", space, CellRole::decoder);
  }
  try {
    return space.encode(c);
  } catch (const Error& e) {
    r.fail("", e.what());
  }
}

Architecture read_generic(const Reader& r, const YAML::Node& root, const SearchSpace& space) {
  r.keys(root, "", {"space", "choices"});
  YAML::Node choices = r.need(root, "", "choices");
  if (!choices.IsMap()) r.fail(choices, "choices", "expected a mapping: decision name -> choice label");
  std::vector<std::string> names;
  for (const auto& d : space.decisions()) names.push_back(d.name);
  for (auto it = choices.begin(); it != choices.end(); ++it) {
    std::string k = it->first.Scalar();
    if (std::find(names.begin(), names.end(), k) == names.end()) {
      std::string hint = closest_match(k, names);
      r.fail(it->first, "choices." + k,
             "not a decision of this " + space.kind() + " space" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
    }
  }
  Architecture a;
  for (int i = 0; i < space.num_decisions(); ++i) {
    const Decision& d = space.decision(i);
    const std::string path = "choices." + d.name;
    YAML::Node v = choices[d.name];
    if (!v.IsDefined() || v.IsNull()) r.fail(choices, path, "missing (every decision needs a choice)");
    std::string label = r.scalar(v, path);
    auto it = std::find(d.choices.begin(), d.choices.end(), label);
    if (it == d.choices.end()) r.fail(v, path, "'" + label + "' is not a choice (expected one of " + join(d.choices, ", ") + ")");
    a.choices.push_back(static_cast<Choice>(it - d.choices.begin()));
  }
  std::vector<Choice> legal;
  for (size_t i = 0; i < a.choices.size(); ++i) {
    space.legal_choices(std::span(a.choices.data(), i), legal);
    if (std::find(legal.begin(), legal.end(), a.choices[i]) != legal.end()) continue;
    std::string why;
    if (auto* cs = dynamic_cast<const CellSpace*>(&space)) why = ": " + cs->illegal_reason(a);
    const Decision& d = space.decision(static_cast<int>(i));
    r.fail(choices[d.name], "choices." + d.name,
           "'" + d.choices[a.choices[i]] + "' is not legal given the choices before it" + why);
  }
  return a;
}

Architecture read_root(const Reader& r, const YAML::Node& root, const SearchSpace& space) {
  if (!root.IsMap()) r.fail(root, "", "expected a mapping (an architecture file starts with `space: " + space.kind() + "`)");
  YAML::Node kind = r.need(root, "", "space");
  std::string k = r.scalar(kind, "space");
  if (k != space.kind()) r.fail(kind, "space", "'" + k + "' does not match the search space kind '" + space.kind() + "'");
  if (root["choices"].IsDefined()) return read_generic(r, root, space);
  if (auto* cs = dynamic_cast<const CellSpace*>(&space)) return read_structured(r, root, *cs);
  r.fail(root, "choices", "missing (a " + space.kind() + " architecture lists its decisions under `choices`)");
}

YAML::Node json_to_yaml(const nlohmann::json& j) {
  YAML::Node n;
  if (j.is_object()) {
    n = YAML::Node(YAML::NodeType::Map);
    for (auto it = j.begin(); it != j.end(); ++it) n[it.key()] = json_to_yaml(it.value());
  } else if (j.is_array()) {
    n = YAML::Node(YAML::NodeType::Sequence);
    for (const auto& v : j) n.push_back(json_to_yaml(v));
  } else if (j.is_string()) {
    n = j.get<std::string>();
  } else if (j.is_null()) {
    n = YAML::Node(YAML::NodeType::Null);
  } else {
    n = j.dump();
  }
  return n;
}

const CellSpace* structured(const SearchSpace& space, ArchForm form) {
  return form == ArchForm::structured ? dynamic_cast<const CellSpace*>(&space) : nullptr;
}

nlohmann::json cell_json(const Cell& cell) {
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& n : cell.nodes) {
    nlohmann::json inputs = nlohmann::json::array();
    for (const auto& e : n.inputs) inputs.push_back({{"from", CellSpace::node_label(e.from)}, {"op", e.op}});
    nodes.push_back({{"inputs", inputs}});
  }
  return {{"combine", cell.combine}, {"nodes", nodes}};
}

void emit_cell(YAML::Emitter& out, const Cell& cell) {
  out << YAML::BeginMap << YAML::Key << "combine" << YAML::Value << cell.combine;
  out << YAML::Key << "nodes" << YAML::Value << YAML::BeginSeq;
  for (const auto& n : cell.nodes) {
    out << YAML::BeginMap << YAML::Key << "inputs" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& e : n.inputs)
      out << YAML::Flow << YAML::BeginMap << YAML::Key << "from" << YAML::Value << CellSpace::node_label(e.from)
          << YAML::Key << "op" << YAML::Value << e.op << YAML::EndMap;
    out << YAML::EndSeq << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
}

}  // namespace

std::string arch_to_yaml(const SearchSpace& space, const Architecture& a, ArchForm form) {
  MCTSNAS_CHECK(a.choices.size() == static_cast<size_t>(space.num_decisions()), "arch_to_yaml: wrong choice count");
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "space" << YAML::Value << space.kind();
  if (const CellSpace* cs = structured(space, form)) {
    CellArchitecture c = cs->decode(a);
    out << YAML::Key << "model" << YAML::Value << c.model;
    out << YAML::Key << "d_model" << YAML::Value << c.d_model;
    if (cs->has_encoder()) out << YAML::Key << "encoder_layers" << YAML::Value << c.encoder_layers;
    if (cs->has_decoder()) out << YAML::Key << "decoder_layers" << YAML::Value << c.decoder_layers;
    if (cs->has_encoder()) {
      out << YAML::Key << "encoder" << YAML::Value;
      emit_cell(out, c.encoder);
    }
    if (cs->has_decoder()) {
      out << YAML::Key << "decoder" << YAML::Value;
      emit_cell(out, c.decoder);
    }
  } else {
    out << YAML::Key << "choices" << YAML::Value << YAML::BeginMap;
    for (int i = 0; i < space.num_decisions(); ++i) {
      const Decision& d = space.decision(i);
      // Quoted so that labels like "128" or "none" come back as the same strings.
      out << YAML::Key << d.name << YAML::Value << YAML::DoubleQuoted << d.choices.at(a.choices[static_cast<size_t>(i)]);
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  MCTSNAS_CHECK(out.good(), std::string("YAML emitter: ") + out.GetLastError());
  return std::string(out.c_str()) + "\n";
}

nlohmann::json arch_to_json(const SearchSpace& space, const Architecture& a, ArchForm form) {
  MCTSNAS_CHECK(a.choices.size() == static_cast<size_t>(space.num_decisions()), "arch_to_json: wrong choice count");
  nlohmann::json j = nlohmann::json::object();
  j["space"] = space.kind();
  if (const CellSpace* cs = structured(space, form)) {
    CellArchitecture c = cs->decode(a);
    j["model"] = c.model;
    j["d_model"] = c.d_model;
    if (cs->has_encoder()) j["encoder_layers"] = c.encoder_layers;
    if (cs->has_decoder()) j["decoder_layers"] = c.decoder_layers;
    if (cs->has_encoder()) j["encoder"] = cell_json(c.encoder);
    if (cs->has_decoder()) j["decoder"] = cell_json(c.decoder);
    return j;
  }
  nlohmann::json ch = nlohmann::json::object();
  for (int i = 0; i < space.num_decisions(); ++i) {
    const Decision& d = space.decision(i);
    ch[d.name] = d.choices.at(a.choices[static_cast<size_t>(i)]);
  }
  j["choices"] = ch;
  return j;
}

Architecture arch_from_yaml(const SearchSpace& space, std::string_view yaml, const std::string& where) {
  Reader r(where);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    throw Error(where + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                ": not valid YAML: " + one_line(e.msg));
  }
  return read_root(r, root, space);
}

Architecture arch_from_json(const SearchSpace& space, const nlohmann::json& j, const std::string& where) {
  return read_root(Reader(where), json_to_yaml(j), space);
}

Architecture arch_from_json_text(const SearchSpace& space, std::string_view text, const std::string& where) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {   // parse_error, or out_of_range for a number past double
    throw Error(where + ": not valid JSON: " + one_line(e.what()));
  }
  return arch_from_json(space, j, where);
}

Architecture load_architecture(const SearchSpace& space, const std::filesystem::path& file) {
  std::string text = read_file(file);
  if (file.extension() == ".json") return arch_from_json_text(space, text, file.string());
  return arch_from_yaml(space, text, file.string());
}

namespace {

// The drawing's caption: the model, and what the cell inputs prev and prev2 are.
std::string cells_legend(const CellArchitecture& c) {
  std::string text = c.model + ", d_model " + std::to_string(c.d_model) + "\\l" +
                     "prev: the layer's input (the previous layer's output; the embeddings in layer 1)\\l" +
                     "prev2: the previous layer's input (the embeddings in layers 1 and 2)\\l" +
                     "dashed grey: not connected to the cell output\\l";
  if (c.model == "encoder_decoder") text += "cross_attention: its node also reads the encoder output (memory)\\l";
  return "\"" + text + "\"";
}

// The encoder output that cross_attention edges attend to: an edge from the
// encoder cell's output to a `memory` node, and from it to every decoder node
// with a cross_attention input.
void write_memory_dot(std::ostream& os, const CellArchitecture& c) {
  bool any = false;
  for (size_t k = 0; k < c.decoder.nodes.size(); ++k)
    for (const auto& e : c.decoder.nodes[k].inputs) {
      if (e.op.rfind("cross_attention", 0) != 0) continue;
      if (!any)
        os << "  memory [label=" << dot_quote("encoder output (memory), after " + std::to_string(c.encoder_layers) +
                                              " encoder layer(s)")
           << ", shape=box, style=rounded, color=\"#1f4e9a\", fontcolor=\"#1f4e9a\"];\n"
           << "  \"enc_out\" -> memory [style=dotted, color=\"#1f4e9a\"];\n";
      any = true;
      os << "  memory -> " << dot_quote("dec_n" + std::to_string(k)) << " [label=" << dot_quote("keys/values")
         << ", style=dashed, color=\"#1f4e9a\", fontcolor=\"#1f4e9a\"];\n";
    }
}

}  // namespace

std::string to_dot(const SearchSpace& space, const Architecture& a) {
  std::ostringstream os;
  os << "digraph architecture {\n  rankdir=TB;\n  node [fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\"];\n";
  if (auto* cs = dynamic_cast<const CellSpace*>(&space)) {
    CellArchitecture c = cs->decode(a);
    os << "  labeljust=l;\n  label=" << cells_legend(c) << ";\n";
    if (cs->has_encoder()) {
      os << "  subgraph cluster_encoder {\n";
      write_cell_dot(os, c.encoder, "enc_", "encoder cell x " + std::to_string(c.encoder_layers));
      os << "  }\n";
    }
    if (cs->has_decoder()) {
      os << "  subgraph cluster_decoder {\n";
      write_cell_dot(os, c.decoder, "dec_", "decoder cell x " + std::to_string(c.decoder_layers));
      os << "  }\n";
    }
    if (cs->has_encoder() && cs->has_decoder()) write_memory_dot(os, c);
  } else if (dynamic_cast<const Nb201Space*>(&space)) {
    for (int v = 0; v < 4; ++v) os << "  " << v << " [label=" << dot_quote(v == 0 ? "in" : v == 3 ? "out" : std::to_string(v)) << "];\n";
    for (int e = 0; e < Nb201Space::kEdges; ++e)
      os << "  " << Nb201Space::kEdgeFrom[e] << " -> " << Nb201Space::kEdgeTo[e]
         << " [label=" << dot_quote(space.decision(e).choices.at(a.choices.at(static_cast<size_t>(e)))) << "];\n";
  } else {
    std::string label;
    for (int i = 0; i < space.num_decisions(); ++i)
      label += space.decision(i).name + " = " + space.decision(i).choices.at(a.choices.at(static_cast<size_t>(i))) + "\\l";
    // Labels built from names: escape quotes but keep the \l line breaks.
    std::string q = "\"";
    for (size_t i = 0; i < label.size(); ++i) {
      if (label[i] == '"') q += '\\';
      q += label[i];
    }
    os << "  arch [shape=box, label=" << q << "\"];\n";
  }
  os << "}\n";
  return os.str();
}

std::string to_line(const SearchSpace& space, const Architecture& a) { return space.key(a); }

}  // namespace mctsnas
