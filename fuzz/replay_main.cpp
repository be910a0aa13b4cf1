// Runs a libFuzzer target without libFuzzer, for builds with g++ (CI): every seed
// file named on the command line (or in a directory named there) goes through
// LLVMFuzzerTestOneInput, then `--mutations N` mutants of each, made with a fixed
// seed (byte flips, truncations, insertions, duplicated ranges), so that CI runs
// the same few thousand inputs every time. A finding aborts, as under libFuzzer.
//   mctsnas_X_replay [--mutations N] SEED_FILE_OR_DIR...
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

uint64_t next(uint64_t& s) {   // splitmix64: fixed, seedable, enough for mutations
  s += 0x9e3779b97f4a7c15ULL;
  uint64_t z = s;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string mutate(std::string in, uint64_t& s) {
  const int edits = 1 + static_cast<int>(next(s) % 4);
  for (int e = 0; e < edits; ++e) {
    const size_t at = in.empty() ? 0 : next(s) % in.size();
    switch (next(s) % 5) {
      case 0:
        if (!in.empty()) in[at] = static_cast<char>(in[at] ^ (1u << (next(s) % 8)));
        break;
      case 1:
        in.resize(at);
        break;
      case 2:
        in.insert(at, 1, static_cast<char>(next(s) % 256));
        break;
      case 3:
        if (!in.empty()) in[at] = static_cast<char>(next(s) % 256);
        break;
      default:
        if (!in.empty()) in.insert(at, in.substr(next(s) % in.size(), 1 + next(s) % 16));
    }
  }
  return in;
}

void run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

}  // namespace

int main(int argc, char** argv) {
  long mutations = 0;
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--mutations" && i + 1 < argc) {
      mutations = std::strtol(argv[++i], nullptr, 10);
    } else if (std::filesystem::is_directory(a)) {
      for (const auto& e : std::filesystem::directory_iterator(a))
        if (e.is_regular_file()) files.push_back(e.path());
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: %s [--mutations N] SEED_FILE_OR_DIR...\n", argv[0]);
    return 2;
  }
  std::sort(files.begin(), files.end());
  uint64_t s = 1;
  long runs = 0;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::string seed((std::istreambuf_iterator<char>(in)), {});
    run(seed);
    ++runs;
    for (long m = 0; m < mutations; ++m, ++runs) run(mutate(seed, s));
  }
  std::printf("%s: %ld inputs from %zu seeds, no finding\n", argv[0], runs, files.size());
  return 0;
}
