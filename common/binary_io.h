#pragma once
// Little-endian binary encoding for checkpoints. The reader checks every bound and
// throws Error("... truncated ...") instead of reading past the end.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "common/error.h"

namespace mctsnas {

class ByteWriter {
 public:
  template <class T>
  void put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    const char* p = reinterpret_cast<const char*>(&v);
    buf_.append(p, sizeof(T));
  }
  template <class T>
  void put_vector(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    put<uint64_t>(v.size());
    buf_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }
  void put_string(std::string_view s) {
    put<uint64_t>(s.size());
    buf_.append(s.data(), s.size());
  }
  const std::string& bytes() const { return buf_; }
  std::string& bytes() { return buf_; }

 private:
  std::string buf_;
};

class ByteReader {
 public:
  ByteReader(std::string_view data, std::string what) : data_(data), what_(std::move(what)) {}

  template <class T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T>);
    need(sizeof(T));
    T v;
    std::memcpy(&v, data_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  template <class T>
  std::vector<T> get_vector(uint64_t max_elems = UINT64_MAX) {
    uint64_t n = get<uint64_t>();
    if (n > max_elems || n > (data_.size() - pos_) / (sizeof(T) ? sizeof(T) : 1))
      fail("a length field is larger than the data left");
    std::vector<T> v(n);
    if (n) std::memcpy(v.data(), data_.data() + pos_, n * sizeof(T));
    pos_ += n * sizeof(T);
    return v;
  }
  std::string get_string() {
    uint64_t n = get<uint64_t>();
    if (n > data_.size() - pos_) fail("a string length is larger than the data left");
    std::string s(data_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  bool at_end() const { return pos_ == data_.size(); }
  size_t position() const { return pos_; }
  [[noreturn]] void fail(const std::string& why) const;

 private:
  void need(size_t n) const {
    if (n > data_.size() - pos_) fail("truncated (needed " + std::to_string(n) + " more bytes)");
  }
  std::string_view data_;
  size_t pos_ = 0;
  std::string what_;
};

// CRC-32 (IEEE) via Boost.CRC.
uint32_t crc32(std::string_view data);

}  // namespace mctsnas
