#include "common/binary_io.h"

#include <boost/crc.hpp>

namespace mctsnas {

void ByteReader::fail(const std::string& why) const {
  throw Error(what_ + ": " + why + " at byte " + std::to_string(pos_));
}

uint32_t crc32(std::string_view data) {
  boost::crc_32_type crc;
  crc.process_bytes(data.data(), data.size());
  return crc.checksum();
}

}  // namespace mctsnas
