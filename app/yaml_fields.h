#pragma once
// The machinery behind the config's binding table: one `bind_fields(V& v, Section& s)`
// per options struct (beside the struct, common/option_schema.h) lists its keys once,
// and three visitors walk that list — KeyLister (the allowed keys, for unknown-key errors),
// Reader (YAML -> struct, strict) and Writer (struct -> resolved YAML).
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "app/config_loader.h"
#include "common/option_schema.h"
#include "common/strings.h"

namespace mctsnas::config {

// Scalar text <-> value, exposed for tests. Each returns nullopt on bad text.
std::optional<int64_t> parse_bytes(std::string_view text);
std::optional<double> parse_duration(std::string_view text);
std::string format_bytes(int64_t bytes);
std::string format_duration_value(double seconds);
std::string format_double(double v);   // shortest text that reads back exactly

// Where values came from, and how to word an error about one.
class Context {
 public:
  std::string file;                  // for messages
  std::filesystem::path base_dir;    // relative paths from the file resolve here; "" = keep
  struct OverrideOrigin {
    std::string path;   // normalized: "a.b[0].c"
    std::string text;   // as the user wrote it: "a.b.0.c=x"
  };
  std::vector<OverrideOrigin> overrides;
  std::map<std::string, YAML::Mark> marks;   // key path -> where its value is

  // The override that set `path` (or one of its parents), if any.
  const OverrideOrigin* override_for(const std::string& path) const;
  // Throws ConfigError "WHERE: path: msg"; WHERE from the override, else `mark`.
  [[noreturn]] void fail(const std::string& path, const YAML::Mark& mark,
                         const std::string& msg) const;
  // Same, located at the recorded mark of `path` or of its nearest recorded parent.
  [[noreturn]] void fail_at(const std::string& path, const std::string& msg) const;
};

// 'text' quoted for a message: one line, at most ~40 characters.
std::string quote(std::string_view text);
using mctsnas::one_line;   // common/strings.h
std::string child_path(const std::string& parent, std::string_view key);

// Collects the keys a section allows.
class KeyLister {
 public:
  std::vector<std::string> names;
  template <class T, class C>
  void field(std::string_view key, T&, const C&) { names.emplace_back(key); }
  template <class T>
  void field(std::string_view key, T&) { names.emplace_back(key); }
  template <class S>
  void inline_section(S& s) { bind_fields(*this, s); }
};

template <class T>
concept Section = requires(KeyLister& k, T& t) { bind_fields(k, t); };

template <class T> struct is_vector : std::false_type {};
template <class T> struct is_vector<std::vector<T>> : std::true_type {};
template <class T> struct is_optional : std::false_type {};
template <class T> struct is_optional<std::optional<T>> : std::true_type {};

// Checks a mapping's keys (scalars, no repeats, all known) before its values are read.
void check_keys(const Context& ctx, const YAML::Node& map, const std::string& path,
                const std::vector<std::string>& allowed);
// Fails unless `node` is a mapping (or null: an empty section).
void expect_map(const Context& ctx, const YAML::Node& node, const std::string& path);

// Scalar readers, one per C++ type.
void read_scalar(const Context& ctx, const YAML::Node& n, const std::string& path, bool& out,
                 const Check& c);
void read_scalar(const Context& ctx, const YAML::Node& n, const std::string& path, int64_t& out,
                 const Check& c, int64_t type_lo, int64_t type_hi);
void read_scalar(const Context& ctx, const YAML::Node& n, const std::string& path, uint64_t& out,
                 const Check& c);
void read_scalar(const Context& ctx, const YAML::Node& n, const std::string& path, double& out,
                 const Check& c);
void read_scalar(const Context& ctx, const YAML::Node& n, const std::string& path,
                 std::string& out, const Check& c);
std::string scalar_text(const std::string& s, const Check& c);   // Writer's spelling
std::string scalar_text(double v, const Check& c);
std::string scalar_text(int64_t v, const Check& c);

class Reader;
template <Section S>
void read_section(Context& ctx, const YAML::Node& node, const std::string& path, S& s);

// YAML -> struct. A key absent from the file keeps the struct's default.
class Reader {
 public:
  Reader(Context& ctx, YAML::Node map, std::string path)
      : ctx_(ctx), map_(std::move(map)), path_(std::move(path)) {}

  template <class T>
    requires(!NamedEnum<T>)
  void field(std::string_view key, T& value, const Check& check = {}) {
    if (!map_.IsMap()) return;   // null section: all defaults
    for (const auto& kv : map_) {
      // (check_keys has made sure that keys are scalars and not repeated)
      if (kv.first.Scalar() != key) continue;
      YAML::Node n = kv.second;
      std::string p = child_path(path_, key);
      // An empty value's mark is wherever the parser went on; its key is clearer.
      ctx_.marks[p] = n.IsNull() ? kv.first.Mark() : n.Mark();
      read_value(n, p, value, check);
      return;
    }
  }

  // The fields of `s` written directly in this section (no key of their own).
  template <class S>
  void inline_section(S& s) { bind_fields(*this, s); }

  // An enum is read as one of its names (common/option_schema.h).
  template <NamedEnum E>
  void field(std::string_view key, E& value) {
    std::string text(name_of(value));
    Check c;
    c.allowed = enum_name_list<E>();
    field(key, text, c);
    value = *enum_from_name<E>(text);
  }

 private:
  template <class T>
  void read_value(const YAML::Node& n, const std::string& p, T& value, const Check& c) {
    if constexpr (Section<T>) {
      read_section(ctx_, n, p, value);
    } else if constexpr (is_optional<T>::value) {
      if (n.IsNull()) {
        value.reset();
      } else {
        typename T::value_type v{};
        read_value(n, p, v, c);
        value = v;
      }
    } else if constexpr (is_vector<T>::value) {
      read_list(n, p, value, c);
    } else if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, double> ||
                         std::is_same_v<T, std::string> || std::is_same_v<T, uint64_t>) {
      read_scalar(ctx_, n, p, value, c);
    } else if constexpr (std::is_integral_v<T>) {
      int64_t v = 0;
      read_scalar(ctx_, n, p, v, c, std::numeric_limits<T>::min(),
                  std::numeric_limits<T>::max());
      value = static_cast<T>(v);
    } else if constexpr (NamedEnum<T>) {   // a list's element (a field's own enum has its own field())
      std::string text(name_of(value));
      Check ec = c;
      ec.allowed = enum_name_list<T>();
      read_scalar(ctx_, n, p, text, ec);
      value = *enum_from_name<T>(text);
    } else {
      static_assert(sizeof(T) == 0, "config: no YAML reader for this field type");
    }
  }

  template <class T>
  void read_list(const YAML::Node& n, const std::string& p, std::vector<T>& value,
                 const Check& c) {
    if (!n.IsSequence())
      ctx_.fail(p, n.IsNull() ? ctx_.marks[p] : n.Mark(), "expected a list, e.g. [a, b]");
    if (c.nonempty && n.size() == 0) ctx_.fail(p, n.Mark(), "must not be an empty list");
    // Element checks: the list's own flags (non-empty, unique) don't apply to elements,
    // but string elements must never be empty.
    Check ec = c;
    ec.unique = false;
    ec.nonempty = std::is_same_v<T, std::string>;
    std::vector<T> out;
    out.reserve(n.size());
    std::set<T> seen;   // (a set: lists from a file may be long)
    for (size_t i = 0; i < n.size(); ++i) {
      YAML::Node e = n[i];
      std::string ep = p + "[" + std::to_string(i) + "]";
      ctx_.marks[ep] = e.Mark();
      T v{};
      read_value(e, ep, v, ec);
      if constexpr (!Section<T>) {
        if (c.unique && !seen.insert(v).second)
          ctx_.fail(ep, e.Mark(), "repeated entry " + quote(e.Scalar()));
      }
      out.push_back(std::move(v));
    }
    value = std::move(out);
  }

  Context& ctx_;
  YAML::Node map_;
  std::string path_;
};

template <Section S>
void read_section(Context& ctx, const YAML::Node& node, const std::string& path, S& s) {
  expect_map(ctx, node, path);
  KeyLister keys;
  bind_fields(keys, s);
  check_keys(ctx, node, path, keys.names);
  Reader r(ctx, node, path);
  bind_fields(r, s);
}

// struct -> YAML, every field written (the resolved config).
class Writer {
 public:
  explicit Writer(YAML::Emitter& out) : out_(out) {}

  template <class T>
    requires(!NamedEnum<T>)
  void field(std::string_view key, T& value, const Check& check = {}) {
    out_ << YAML::Key << std::string(key) << YAML::Value;
    write_value(value, check);
  }

  template <NamedEnum E>
  void field(std::string_view key, E& value) {
    std::string text(name_of(value));
    field(key, text);
  }

  template <class S>
  void inline_section(S& s) { bind_fields(*this, s); }

 private:
  template <class T>
  void write_value(T& value, const Check& c) {
    if constexpr (Section<T>) {
      out_ << YAML::BeginMap;
      bind_fields(*this, value);
      out_ << YAML::EndMap;
    } else if constexpr (is_optional<T>::value) {
      if (value) write_value(*value, c);
      else out_ << YAML::Null;
    } else if constexpr (is_vector<T>::value) {
      if constexpr (!Section<typename T::value_type>) out_ << YAML::Flow;
      out_ << YAML::BeginSeq;
      for (auto& e : value) write_value(e, c);
      out_ << YAML::EndSeq;
    } else if constexpr (std::is_same_v<T, bool>) {
      out_ << (value ? "true" : "false");
    } else if constexpr (std::is_same_v<T, std::string>) {
      write_string(scalar_text(value, c));
    } else if constexpr (std::is_same_v<T, double>) {
      out_ << scalar_text(value, c);
    } else if constexpr (std::is_same_v<T, uint64_t>) {
      out_ << std::to_string(value);
    } else if constexpr (std::is_integral_v<T>) {
      out_ << scalar_text(static_cast<int64_t>(value), c);
    } else if constexpr (NamedEnum<T>) {
      write_string(std::string(name_of(value)));
    } else {
      static_assert(sizeof(T) == 0, "config: no YAML writer for this field type");
    }
  }
  void write_string(const std::string& s);

  YAML::Emitter& out_;
};

}  // namespace mctsnas::config
