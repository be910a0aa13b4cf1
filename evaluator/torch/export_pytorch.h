#pragma once
// Generates model.py: a self-contained PyTorch module that mirrors the LibTorch model
// (seq_model.h, cell_layer.h, op_modules.h) op by op, with the same parameter names,
// and loads weights.pt (a LibTorch archive, read with torch.jit.load). Its outputs
// match the C++ model's to float rounding (tests/torch_export_test.cpp checks 1e-5).
//
// The op classes and the table from op kind to module come from the op builders
// (op_modules.h): a change to an op's forward must be mirrored in its python_class
// there, or the parity tests fail (tests/torch_op_table_test.cpp, one per op kind).
#include <string>

#include <nlohmann/json.hpp>

namespace mctsnas::torchnas {

// `description`: model.json's content (export_model.h), embedded in the file.
std::string pytorch_module_source(const nlohmann::json& description);

}  // namespace mctsnas::torchnas
