"""How often the documented Python int8 path agrees with the C++ models.

Inputs: the validation-like tail of the run's data (g2p: the last 300 words of
cmudict.tsv; classify: the last 300 texts of the data file), predicted by
  fp32 C++     mctsnas predict RUN
  int8 C++     mctsnas predict RUN --variant int8
  int8 Python  torch.ao.quantization.quantize_dynamic(model.py's model, {nn.Linear}, qint8)
Prints the share of inputs on which each pair gives the same output.
Usage: python3 bench/int8_python_agreement.py MCTSNAS_BINARY RUN_DIR
"""
import importlib.util
import json
import os
import subprocess
import sys

import torch


def load_model_py(best):
    spec = importlib.util.spec_from_file_location("exported_model", os.path.join(best, "model.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def inputs_of(run, task):
    cfg = open(os.path.join(run, "config.resolved.yaml")).read()
    data = [l.split(":", 1)[1].strip() for l in cfg.splitlines() if l.strip().startswith("data:")][0]
    if task == "g2p":
        lines = open(os.path.join(data, "cmudict.tsv"), encoding="utf-8").read().splitlines()
        return [l.split("\t")[0] for l in lines[-300:]]
    lines = open(os.path.join(data, "spam.jsonl"), encoding="utf-8").read().splitlines()
    return [json.loads(l)["text"][:200].replace("\n", " ") for l in lines[-300:]]


def main():
    binary, run = sys.argv[1], sys.argv[2]
    best = os.path.join(run, "best")
    task = json.load(open(os.path.join(best, "model.json")))["task"]
    if task not in ("g2p", "classify"):
        print(f"(task {task}: this check compares predictions, so g2p and classify runs only)")
        return
    mod = load_model_py(best)
    engines = torch.backends.quantized.supported_engines
    torch.backends.quantized.engine = next(e for e in ("x86", "fbgemm", "onednn") if e in engines)
    fp32 = mod.load()
    int8 = torch.ao.quantization.quantize_dynamic(fp32, {torch.nn.Linear}, dtype=torch.qint8)
    words = inputs_of(run, task)
    if task == "g2p":
        py = [" ".join(mod.g2p(int8, w)) for w in words]
        key = lambda line: line.split("\t", 1)[1] if "\t" in line else ""
    else:
        py = [mod.classify_text(int8, w)[0] for w in words]
        key = lambda line: line.split("\t", 1)[0]
    c32 = [key(l) for l in subprocess.run([binary, "predict", run, *words], check=True, capture_output=True,
                                          text=True).stdout.splitlines()]
    c8 = [key(l) for l in subprocess.run([binary, "predict", run, "--variant", "int8", *words], check=True,
                                         capture_output=True, text=True).stdout.splitlines()]
    same = lambda a, b: sum(x == y for x, y in zip(a, b)) / len(words)
    print(f"inputs {len(words)}, torch {torch.__version__} engine {torch.backends.quantized.engine}")
    print(f"same output: C++ int8 vs C++ fp32 {same(c8, c32):.3f}; Python int8 vs C++ int8 {same(py, c8):.3f}; "
          f"Python int8 vs C++ fp32 {same(py, c32):.3f}")


if __name__ == "__main__":
    main()
