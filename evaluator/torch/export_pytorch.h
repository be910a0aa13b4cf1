#pragma once
// Generates model.py: a self-contained PyTorch module that mirrors the LibTorch model
// (seq_model.h, cell_layer.h, op_modules.h) op by op, with the same parameter names,
// and loads weights.pt (a LibTorch archive, read with torch.jit.load). Its outputs
// match the C++ model's to float rounding (tests/torch_export_test.cpp checks 1e-5).
//
// Any change to an op's forward in op_modules.cpp must be mirrored here: the parity
// test fails otherwise.
#include <string>

#include <nlohmann/json.hpp>

namespace mctsnas::torchnas {

// `description`: model.json's content (export_model.h), embedded in the file.
std::string pytorch_module_source(const nlohmann::json& description);

}  // namespace mctsnas::torchnas
