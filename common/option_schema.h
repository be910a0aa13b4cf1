#pragma once
// How an options struct declares its config keys, once, next to the struct:
//
//     template <class V> void bind_fields(V& v, FooOptions& o) {
//       v.field("yaml_key", o.member, config::min(1));   // key, member, allowed values
//     }
//
// app/ walks that list to read YAML strictly (the one place values are checked),
// to write the resolved config and to list the keys a section allows; constructors
// trust the struct they are given. An enumerated setting is an `enum class` with
// one name table, found by `enum_names(E)` (see NamedEnum below).
#include <concepts>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace mctsnas {

// One spelling of an enum value in configs, files and messages.
template <class E>
struct EnumName {
  std::string_view name;
  E value;
};

// An enum with a name table: `std::span<const EnumName<E>> enum_names(E)` declared
// beside it (found by argument-dependent lookup), listing every value once.
template <class E>
concept NamedEnum = std::is_enum_v<E> && requires(E e) {
  { enum_names(e) } -> std::convertible_to<std::span<const EnumName<E>>>;
};

template <NamedEnum E>
std::string_view name_of(E e) {
  for (const auto& n : enum_names(e))
    if (n.value == e) return n.name;
  return "?";   // not reachable for a value of the enum: every one is in its table
}

template <NamedEnum E>
std::optional<E> enum_from_name(std::string_view name) {
  for (const auto& n : enum_names(E{}))
    if (n.name == name) return n.value;
  return std::nullopt;
}

template <NamedEnum E>
std::vector<std::string> enum_name_list() {
  std::vector<std::string> out;
  for (const auto& n : enum_names(E{})) out.emplace_back(n.name);
  return out;
}

namespace config {

// What a field accepts beyond its C++ type, and how it is spelled in YAML.
struct Check {
  enum class Kind {
    plain,
    bytes,          // int64: "8GiB", "512MiB", "4e9", "1024"
    duration,       // double seconds: "10m", "90s", "1h30m", "30"
    path,           // string: relative paths resolve against the config's directory
    count_or_auto,  // string: "auto" or a positive integer
    dir_name,       // string: [A-Za-z0-9._-]+, usable as a directory name
    devices,        // string: auto | cpu | cuda | cuda:0,1
  };
  Kind kind = Kind::plain;
  std::optional<double> lo, hi;
  bool lo_open = false;               // lo is exclusive (> rather than >=)
  bool nonempty = false;              // strings and lists
  bool unique = false;                // lists: no repeated element
  std::vector<std::string> allowed;   // strings: one of these

  Check& max(double v) { hi = v; return *this; }
  Check& non_empty() { nonempty = true; return *this; }
  Check& no_repeats() { unique = true; return *this; }
};

inline Check min(double lo) { Check c; c.lo = lo; return c; }
inline Check above(double lo) { Check c; c.lo = lo; c.lo_open = true; return c; }
inline Check range(double lo, double hi) { Check c; c.lo = lo; c.hi = hi; return c; }
inline Check non_empty() { Check c; c.nonempty = true; return c; }
inline Check one_of(std::vector<std::string> names) {
  Check c;
  c.allowed = std::move(names);
  return c;
}
inline Check kind(Check::Kind k) { Check c; c.kind = k; return c; }
inline Check bytes() { return kind(Check::Kind::bytes); }
inline Check duration() { return kind(Check::Kind::duration); }
inline Check path() { return kind(Check::Kind::path); }
inline Check count_or_auto() { return kind(Check::Kind::count_or_auto); }
inline Check dir_name() { return kind(Check::Kind::dir_name); }
inline Check devices() { return kind(Check::Kind::devices); }

// A visitor of options fields behind a virtual interface, for bind functions kept in
// tables (the searcher registry's): the same `field` calls as a template visitor, for
// bool, int, int64_t, uint64_t, double, std::string, NamedEnum and nested sections.
class FieldVisitor {
 public:
  virtual ~FieldVisitor() = default;
  virtual void field(std::string_view key, bool& v, const Check& c = {}) = 0;
  virtual void field(std::string_view key, int& v, const Check& c = {}) = 0;
  virtual void field(std::string_view key, int64_t& v, const Check& c = {}) = 0;
  virtual void field(std::string_view key, uint64_t& v, const Check& c = {}) = 0;
  virtual void field(std::string_view key, double& v, const Check& c = {}) = 0;
  virtual void field(std::string_view key, std::string& v, const Check& c = {}) = 0;

  template <NamedEnum E>
  void field(std::string_view key, E& v) {
    std::string text(name_of(v));
    enum_field(key, text, enum_name_list<E>());
    v = *enum_from_name<E>(text);   // (the visitor has checked the name)
  }
  template <class S>
    requires requires(FieldVisitor& fv, S& s) { bind_fields(fv, s); }
  void field(std::string_view key, S& s) {
    section(key, [&s](FieldVisitor& fv) { bind_fields(fv, s); });
  }

 protected:
  // An enum as its name, one of `names`.
  virtual void enum_field(std::string_view key, std::string& name, const std::vector<std::string>& names) = 0;
  virtual void section(std::string_view key, const std::function<void(FieldVisitor&)>& bind) = 0;
};

// A section whose fields a FieldVisitor-bound function lists.
struct ErasedSection {
  std::function<void(FieldVisitor&)> bind;
};

// Any template visitor V seen as a FieldVisitor.
template <class V>
class VisitorRef final : public FieldVisitor {
 public:
  explicit VisitorRef(V& v) : v_(v) {}
  using FieldVisitor::field;
  void field(std::string_view k, bool& x, const Check& c) override { v_.field(k, x, c); }
  void field(std::string_view k, int& x, const Check& c) override { v_.field(k, x, c); }
  void field(std::string_view k, int64_t& x, const Check& c) override { v_.field(k, x, c); }
  void field(std::string_view k, uint64_t& x, const Check& c) override { v_.field(k, x, c); }
  void field(std::string_view k, double& x, const Check& c) override { v_.field(k, x, c); }
  void field(std::string_view k, std::string& x, const Check& c) override { v_.field(k, x, c); }

 private:
  void enum_field(std::string_view k, std::string& name, const std::vector<std::string>& names) override {
    Check c;
    c.allowed = names;
    v_.field(k, name, c);
  }
  void section(std::string_view k, const std::function<void(FieldVisitor&)>& bind) override {
    ErasedSection s{bind};
    v_.field(k, s);
  }
  V& v_;
};

template <class V>
void bind_fields(V& v, ErasedSection& s) {
  VisitorRef<V> ref(v);
  s.bind(ref);
}

}  // namespace config
}  // namespace mctsnas
