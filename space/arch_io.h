#pragma once
// Architectures as text: YAML and JSON (exact round trip), Graphviz DOT, and a
// one-line human string — for any SearchSpace.
//
// Two file forms, both accepted when reading:
//  - generic (every space): the decisions by name, each with its choice label
//        space: nb201
//        choices: {edge_1_0: nor_conv_3x3, edge_2_0: none, ...}
//  - structured (cells only), what a person reads and edits:
//        space: cells
//        model: encoder_decoder
//        d_model: 128
//        encoder_layers: 2
//        decoder_layers: 2
//        encoder:
//          combine: sum
//          nodes:
//            - inputs: [{from: prev, op: conv3}, {from: prev2, op: glu}]
//            - inputs: [{from: n0, op: ffn}]
//        decoder: ...
//    `from` is prev, prev2 or n<j> (an earlier intermediate node). A model without
//    an encoder (decoder_only) has neither encoder_layers nor encoder, and
//    likewise for encoder_only.
// Every key is checked; a bad file gets one Error line naming the file, the line
// (YAML), the key path at fault (e.g. decoder.nodes[2].inputs[1].op) and what is
// expected.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "space/search_space.h"

namespace mctsnas {

enum class ArchForm {
  structured,  // the structured form where the space has one (cells), else generic
  generic,     // decision name -> choice label
};

std::string arch_to_yaml(const SearchSpace& space, const Architecture& a, ArchForm form = ArchForm::structured);
nlohmann::json arch_to_json(const SearchSpace& space, const Architecture& a, ArchForm form = ArchForm::structured);

// `where` names the source in messages (a file name, "trials.jsonl:12", ...).
// Both read either form; the result is a legal architecture of `space`.
Architecture arch_from_yaml(const SearchSpace& space, std::string_view yaml, const std::string& where);
Architecture arch_from_json(const SearchSpace& space, const nlohmann::json& j, const std::string& where);
Architecture arch_from_json_text(const SearchSpace& space, std::string_view text, const std::string& where);

// By extension: .json is JSON, anything else YAML.
Architecture load_architecture(const SearchSpace& space, const std::filesystem::path& file);

// Graphviz DOT: for cells, one cluster per cell with ops as edge labels; for
// nb201, its cell; for other spaces, a box listing the decisions.
std::string to_dot(const SearchSpace& space, const Architecture& a);

// One line for logs and reports (the space's key()).
std::string to_line(const SearchSpace& space, const Architecture& a);

}  // namespace mctsnas
