#pragma once
// CRC-32 (IEEE, as crc32() in binary_io.h) over data that arrives in pieces.
#include <cstdint>
#include <string_view>

#include <boost/crc.hpp>

namespace mctsnas {

// The same CRC over data that arrives in pieces (e.g. each line appended to a log):
// after update(a), update(b), value() == crc32(a + b).
class Crc32 {
 public:
  void update(std::string_view data) { crc_.process_bytes(data.data(), data.size()); }
  uint32_t value() const { return crc_.checksum(); }

 private:
  boost::crc_32_type crc_;
};

}  // namespace mctsnas
