#pragma once
// The three splits of a text task's data, and the fixed rule that splits one file.
#include <cstddef>

namespace mctsnas {

enum class Split { train, val, test };

inline const char* to_string(Split s) {
  switch (s) {
    case Split::train: return "train";
    case Split::val: return "val";
    case Split::test: return "test";
  }
  return "?";
}

// The split of record (or line) i in file order: every 20th from the 19th is
// validation, every 20th from the 20th is test, the rest train (90/5/5).
inline Split split_of(size_t index) {
  const size_t r = index % 20;
  return r == 18 ? Split::val : r == 19 ? Split::test : Split::train;
}

}  // namespace mctsnas
