#include "common/error.h"

namespace mctsnas {

void check_failed(const char* expr, const char* file, int line, const std::string& msg) {
  throw InternalError(std::string("internal error (please report): ") + file + ":" +
                      std::to_string(line) + ": check `" + expr + "` failed" +
                      (msg.empty() ? "" : ": " + msg));
}

}  // namespace mctsnas
