#include "torch_parity.h"

#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/rng.h"

namespace mctsnas::test {
namespace fs = std::filesystem;
namespace {

// A padded batch of token rows with ids in [1, vocab).
torch::Tensor tokens(const std::vector<int64_t>& lengths, int64_t width, int64_t vocab, uint64_t seed) {
  Rng rng(seed);
  auto t = torch::zeros({static_cast<int64_t>(lengths.size()), width}, torch::kLong);
  for (size_t r = 0; r < lengths.size(); ++r)
    for (int64_t c = 0; c < lengths[r]; ++c)
      t[static_cast<int64_t>(r)][c] = static_cast<int64_t>(1 + rng.below(static_cast<uint64_t>(vocab - 1)));
  return t;
}

nlohmann::json to_json(const torch::Tensor& t) {
  nlohmann::json rows = nlohmann::json::array();
  for (int64_t r = 0; r < t.size(0); ++r) {
    nlohmann::json row = nlohmann::json::array();
    for (int64_t c = 0; c < t.size(1); ++c) row.push_back(t[r][c].item<int64_t>());
    rows.push_back(row);
  }
  return rows;
}

// Loads each job's model.py under its own module name, runs its forward, and writes
// the flattened outputs (or the traceback) per job.
const char* kParityScript = R"PY(
import importlib.util, json, sys, traceback
import torch
torch.set_num_threads(1)
results = []
for i, job in enumerate(json.load(open(sys.argv[1]))):
    try:
        spec = importlib.util.spec_from_file_location("model_%d" % i, job["dir"] + "/model.py")
        model = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(model)
        m = model.load()
        src = torch.tensor(job["src"]) if "src" in job else None
        tgt = torch.tensor(job["tgt"]) if "tgt" in job else None
        with torch.no_grad():
            if job["call"] == "decode":
                memory = m.encode(src, src.eq(0)) if src is not None else None
                out = m.decode(tgt, tgt.eq(0), memory, src.eq(0) if src is not None else None)
            elif job["call"] == "classify":
                out = m.classify(src, src.eq(0))
            else:
                out = m.encode(src, src.eq(0))
        results.append({"out": out.double().flatten().tolist(), "params": sum(p.numel() for p in m.parameters())})
    except Exception:
        results.append({"error": traceback.format_exc()})
json.dump(results, open(sys.argv[2], "w"))
)PY";

}  // namespace

std::string python_with_torch() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("MCTSNAS_PYTHON")) candidates.push_back(env);
  candidates.push_back("/usr/bin/python3");
  candidates.push_back("python3");
  for (const auto& py : candidates)
    if (std::system((py + " -c 'import torch' >/dev/null 2>&1").c_str()) == 0) return py;
  return "";
}

void randomize(torchnas::SeqModel& m, uint64_t seed) {
  torch::manual_seed(seed);
  torch::NoGradGuard no_grad;
  for (auto& p : m->parameters()) p.normal_(0.0, 0.3);
}

ParityForward parity_forward(const torchnas::ModelSpec& spec, const torchnas::ModelShape& shape,
                             const std::string& call) {
  ParityForward f{call, {}, {}};
  const auto& model = spec.arch.model;
  if (model == "encoder_decoder") {
    f.src = tokens({7, 5, 9}, 9, shape.src_vocab, 1);
    f.tgt = tokens({6, 3, 4}, 6, shape.tgt_vocab, 2);
  } else if (model == "decoder_only") {
    f.tgt = tokens({12, 12}, 12, shape.tgt_vocab, 3);
  } else {
    f.src = tokens({10, 4, 7}, 10, shape.src_vocab, 4);
  }
  return f;
}

torch::Tensor run_forward(torchnas::SeqModel& model, const ParityForward& f) {
  torch::NoGradGuard no_grad;
  torch::Tensor out;
  if (f.call == "decode" && f.src.defined())
    out = model->decode(f.tgt, f.tgt.eq(0), model->encode(f.src, f.src.eq(0)), f.src.eq(0));
  else if (f.call == "decode")
    out = model->decode(f.tgt, f.tgt.eq(0));
  else if (f.call == "classify")
    out = model->classify(f.src, f.src.eq(0));
  else
    out = model->encode(f.src, f.src.eq(0));
  return out.to(torch::kDouble).contiguous();
}

std::vector<ParityOutcome> run_parity(const std::string& python, const std::vector<ParityJob>& jobs,
                                      const fs::path& work) {
  nlohmann::json in = nlohmann::json::array();
  for (const auto& j : jobs) {
    nlohmann::json job = {{"dir", j.dir.string()}, {"call", j.forward.call}};
    if (j.forward.src.defined()) job["src"] = to_json(j.forward.src);
    if (j.forward.tgt.defined()) job["tgt"] = to_json(j.forward.tgt);
    in.push_back(job);
  }
  std::ofstream(work / "parity_in.json") << in.dump();
  std::ofstream(work / "parity.py") << kParityScript;
  const std::string cmd = python + " " + (work / "parity.py").string() + " " + (work / "parity_in.json").string() +
                          " " + (work / "parity_out.json").string() + " 2>" + (work / "parity.err").string();
  if (std::system(cmd.c_str()) != 0) {
    std::ifstream err(work / "parity.err");
    throw Error("the parity script failed: " + std::string(std::istreambuf_iterator<char>(err), {}));
  }
  const auto got = nlohmann::json::parse(std::ifstream(work / "parity_out.json"));
  std::vector<ParityOutcome> out;
  for (size_t i = 0; i < jobs.size(); ++i) {
    ParityOutcome o;
    const auto& g = got.at(i);
    if (g.contains("error")) {
      o.error = g.at("error").get<std::string>();
    } else {
      const auto values = g.at("out").get<std::vector<double>>();
      const auto& e = jobs[i].expected;
      o.same_size = static_cast<int64_t>(values.size()) == e.numel();
      o.same_params = g.at("params").get<int64_t>() == jobs[i].params;
      const double* ep = e.data_ptr<double>();
      for (size_t k = 0; o.same_size && k < values.size(); ++k)
        o.max_diff = std::max(o.max_diff, std::abs(values[k] - ep[k]));
    }
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace mctsnas::test
