#include "app/yaml_fields.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

#include "common/strings.h"

namespace mctsnas::config {

namespace {

constexpr int64_t kKiB = 1024, kMiB = kKiB * 1024, kGiB = kMiB * 1024, kTiB = kGiB * 1024;

std::string location(const Context& ctx, const std::string& path, const YAML::Mark& mark) {
  if (const auto* o = ctx.override_for(path)) return "--set " + o->text;
  if (mark.is_null()) {
    // A section that an override created (`--set foo.bar=1` makes `foo`) is its fault.
    for (const auto& o : ctx.overrides)
      if (!path.empty() && o.path.size() > path.size() && o.path.compare(0, path.size(), path) == 0 &&
          (o.path[path.size()] == '.' || o.path[path.size()] == '['))
        return "--set " + o.text;
    return ctx.file;
  }
  return ctx.file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

std::optional<double> parse_number(std::string_view s) {
  if (!s.empty() && s[0] == '+') {
    s.remove_prefix(1);
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) return std::nullopt;   // one sign at most
  }
  if (s.empty()) return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// Plain decimal integer, optional sign; nothing else (no hex, no exponent).
template <class T>
std::optional<T> parse_integer(std::string_view s) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || !std::isdigit(static_cast<unsigned char>(s[0]))) return std::nullopt;
  T v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  if (neg) {
    if constexpr (std::is_unsigned_v<T>) {
      if (v != 0) return std::nullopt;
    } else {
      v = -v;
    }
  }
  return v;
}

std::string join_names(const std::vector<std::string>& names) {
  return join(names, ", ");
}

void check_range(const Context& ctx, const YAML::Node& n, const std::string& path, double v,
                 const std::string& text, const Check& c) {
  bool low = c.lo && (c.lo_open ? !(v > *c.lo) : !(v >= *c.lo));
  bool high = c.hi && !(v <= *c.hi);
  if (!low && !high) return;
  std::string want;
  if (c.lo && c.hi) {
    want = "must be between " + format_double(*c.lo) + " and " + format_double(*c.hi);
  } else if (c.lo) {
    want = std::string("must be ") + (c.lo_open ? "> " : ">= ") + format_double(*c.lo);
  } else {
    want = "must be <= " + format_double(*c.hi);
  }
  ctx.fail(path, n.Mark(), want + ", got " + text);
}

// An empty value has no position of its own (its mark is wherever the parser went
// on): use its key's, which the Reader recorded.
YAML::Mark mark_of(const Context& ctx, const YAML::Node& n, const std::string& path) {
  if (n.IsNull()) {
    auto it = ctx.marks.find(path);
    if (it != ctx.marks.end()) return it->second;
  }
  return n.Mark();
}

// The scalar's text; fails on a mapping, list or null where a value is expected.
const std::string& expect_scalar(const Context& ctx, const YAML::Node& n, const std::string& path,
                                 const char* what) {
  if (n.IsScalar()) return n.Scalar();
  std::string got = n.IsMap() ? "a mapping" : n.IsSequence() ? "a list" : "nothing (null)";
  ctx.fail(path, mark_of(ctx, n, path), std::string("expected ") + what + ", got " + got);
}

bool is_safe_dir_name(const std::string& s) {
  if (s.empty() || s.size() > 128 || s == "." || s == "..") return false;
  for (unsigned char ch : s)
    if (!std::isalnum(ch) && ch != '.' && ch != '_' && ch != '-') return false;
  return true;
}

bool is_devices(const std::string& s) {
  if (s == "auto" || s == "cpu" || s == "cuda") return true;
  if (s.rfind("cuda:", 0) != 0) return false;
  for (const std::string& part : split(std::string_view(s).substr(5), ',')) {
    auto v = parse_integer<int>(part);
    if (!v || *v < 0 || part[0] == '+' || part[0] == '-') return false;
  }
  return true;
}

}  // namespace

std::string quote(std::string_view text) {
  return "'" + one_line(text.substr(0, 40)) + (text.size() > 40 ? "..." : "") + "'";
}

std::string child_path(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

const Context::OverrideOrigin* Context::override_for(const std::string& path) const {
  const OverrideOrigin* best = nullptr;
  for (const auto& o : overrides) {
    bool under = path == o.path ||
                 (path.size() > o.path.size() && path.compare(0, o.path.size(), o.path) == 0 &&
                  (path[o.path.size()] == '.' || path[o.path.size()] == '['));
    if (under && (!best || o.path.size() >= best->path.size())) best = &o;
  }
  return best;
}

void Context::fail(const std::string& path, const YAML::Mark& mark, const std::string& msg) const {
  throw ConfigError(one_line(location(*this, path, mark) + ": " +
                             (path.empty() ? "(top level)" : path) + ": " + msg));
}

void Context::fail_at(const std::string& path, const std::string& msg) const {
  std::string p = path;
  while (true) {
    auto it = marks.find(p);
    if (it != marks.end() || p.empty()) {
      YAML::Mark m = it != marks.end() ? it->second : YAML::Mark::null_mark();
      // Located at a parent, but the error is about `path` (and an override of
      // `path` itself still names the override).
      if (override_for(path)) fail(path, m, msg);
      throw ConfigError(one_line(location(*this, p, m) + ": " + path + ": " + msg));
    }
    size_t cut = p.find_last_of(".[");
    p = cut == std::string::npos ? std::string() : p.substr(0, cut);
  }
}

void expect_map(const Context& ctx, const YAML::Node& node, const std::string& path) {
  if (node.IsMap() || node.IsNull()) return;   // null: an empty section, all defaults
  std::string got = node.IsSequence() ? "a list" : "the value " + quote(node.Scalar());
  ctx.fail(path, node.Mark(), "expected a section (a mapping of keys), got " + got);
}

void check_keys(const Context& ctx, const YAML::Node& map, const std::string& path,
                const std::vector<std::string>& allowed) {
  if (!map.IsMap()) return;
  std::vector<std::string> seen;
  for (const auto& kv : map) {
    YAML::Node k = kv.first;
    if (!k.IsScalar()) ctx.fail(path, k.Mark(), "keys must be plain names, got a mapping or list");
    const std::string& key = k.Scalar();
    std::string p = child_path(path, key);
    bool known = false;
    for (const auto& a : allowed) known = known || a == key;
    if (!known) {
      std::string hint = closest_match(key, allowed);
      ctx.fail(p, k.Mark(), "unknown key " + quote(key) +
                                (hint.empty() ? " (expected one of: " + join_names(allowed) + ")"
                                              : "; did you mean '" + hint + "'?"));
    }
    for (const auto& s : seen)
      if (s == key) ctx.fail(p, k.Mark(), "key given twice");
    seen.push_back(key);
  }
}

void read_scalar(const Context& ctx, const YAML::Node& n, const std::string& path, bool& out,
                 const Check&) {
  const std::string& s = expect_scalar(ctx, n, path, "true or false");
  if (s == "true" || s == "True" || s == "TRUE") {
    out = true;
  } else if (s == "false" || s == "False" || s == "FALSE") {
    out = false;
  } else {
    ctx.fail(path, n.Mark(), "expected true or false, got " + quote(s));
  }
}

void read_scalar(const Context& ctx, const YAML::Node& n, const std::string& path, int64_t& out,
                 const Check& c, int64_t type_lo, int64_t type_hi) {
  const char* what = c.kind == Check::Kind::bytes ? "a byte size like 8GiB, 512MiB or 4e9"
                                                  : "an integer";
  const std::string& s = expect_scalar(ctx, n, path, what);
  std::optional<int64_t> v =
      c.kind == Check::Kind::bytes ? parse_bytes(trim(s)) : parse_integer<int64_t>(trim(s));
  if (!v) ctx.fail(path, n.Mark(), std::string("expected ") + what + ", got " + quote(s));
  if (*v < type_lo) ctx.fail(path, n.Mark(), "must be >= " + std::to_string(type_lo) + ", got " + s);
  if (*v > type_hi) ctx.fail(path, n.Mark(), "must be <= " + std::to_string(type_hi) + ", got " + s);
  check_range(ctx, n, path, static_cast<double>(*v), s, c);
  out = *v;
}

void read_scalar(const Context& ctx, const YAML::Node& n, const std::string& path, uint64_t& out,
                 const Check& c) {
  const std::string& s = expect_scalar(ctx, n, path, "a non-negative integer");
  auto v = parse_integer<uint64_t>(trim(s));
  if (!v) ctx.fail(path, n.Mark(), "expected a non-negative integer, got " + quote(s));
  check_range(ctx, n, path, static_cast<double>(*v), s, c);
  out = *v;
}

void read_scalar(const Context& ctx, const YAML::Node& n, const std::string& path, double& out,
                 const Check& c) {
  bool dur = c.kind == Check::Kind::duration;
  const char* what = dur ? "a duration like 10m, 90s, 1h or 30 (seconds)" : "a number";
  const std::string& s = expect_scalar(ctx, n, path, what);
  auto v = dur ? parse_duration(trim(s)) : parse_number(trim(s));
  if (!v) ctx.fail(path, n.Mark(), std::string("expected ") + what + ", got " + quote(s));
  check_range(ctx, n, path, *v, s, c);
  out = *v;
}

void read_scalar(const Context& ctx, const YAML::Node& n, const std::string& path,
                 std::string& out, const Check& c) {
  const std::string& s = expect_scalar(ctx, n, path, "a string");
  for (unsigned char ch : s)
    if (ch < 0x20 || ch == 0x7f)
      ctx.fail(path, n.Mark(), "control characters are not allowed, got " + quote(s));
  if (c.nonempty && s.empty()) ctx.fail(path, n.Mark(), "must not be empty");
  if (!c.allowed.empty()) {
    bool ok = false;
    for (const auto& a : c.allowed) ok = ok || a == s;
    if (!ok) {
      std::string hint = closest_match(s, c.allowed);
      ctx.fail(path, n.Mark(), "unknown value " + quote(s) + " (expected one of: " +
                                   join_names(c.allowed) + ")" +
                                   (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
    }
  }
  switch (c.kind) {
    case Check::Kind::dir_name:
      if (!is_safe_dir_name(s))
        ctx.fail(path, n.Mark(),
                 "must be a directory name of letters, digits, '.', '_' or '-' (at most 128), "
                 "got " + quote(s));
      break;
    case Check::Kind::devices:
      if (!is_devices(s))
        ctx.fail(path, n.Mark(), "expected auto, cpu, cuda or cuda:I,J,... (GPU indices), got " +
                                     quote(s));
      break;
    case Check::Kind::count_or_auto:
      if (s != "auto") {
        auto v = parse_integer<int>(trim(s));
        if (!v || *v < 1 || *v > 1024)
          ctx.fail(path, n.Mark(), "expected auto or an integer from 1 to 1024, got " + quote(s));
        out = std::to_string(*v);
        return;
      }
      break;
    case Check::Kind::path:
      if (!s.empty()) {
        std::filesystem::path p(s);
        if (p.is_relative()) {
          // A path from --set is typed relative to where the command runs.
          if (ctx.override_for(path)) {
            std::error_code ec;
            auto abs = std::filesystem::absolute(p, ec);
            if (!ec) p = abs;
          } else if (!ctx.base_dir.empty()) {
            p = ctx.base_dir / p;
          }
        }
        out = p.lexically_normal().string();
        return;
      }
      break;
    default:
      break;
  }
  out = s;
}

std::optional<int64_t> parse_bytes(std::string_view text) {
  std::string_view s = text;
  size_t unit_at = s.size();
  while (unit_at > 0 && std::isalpha(static_cast<unsigned char>(s[unit_at - 1]))) --unit_at;
  std::string unit(s.substr(unit_at));
  std::string_view num = s.substr(0, unit_at);
  while (!num.empty() && num.back() == ' ') num.remove_suffix(1);
  double mult = 1;
  if (unit.empty() || unit == "B") mult = 1;
  else if (unit == "KiB") mult = kKiB;
  else if (unit == "MiB") mult = kMiB;
  else if (unit == "GiB") mult = kGiB;
  else if (unit == "TiB") mult = kTiB;
  else if (unit == "KB" || unit == "kB") mult = 1e3;
  else if (unit == "MB") mult = 1e6;
  else if (unit == "GB") mult = 1e9;
  else if (unit == "TB") mult = 1e12;
  else return std::nullopt;
  auto v = parse_number(num);
  if (!v || *v < 0) return std::nullopt;
  double bytes = std::round(*v * mult);
  if (!(bytes < 9.2e18)) return std::nullopt;
  return static_cast<int64_t>(bytes);
}

std::optional<double> parse_duration(std::string_view s) {
  if (auto plain = parse_number(s)) return *plain >= 0 ? plain : std::nullopt;
  double total = 0;
  size_t i = 0;
  bool any = false;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
    size_t k = j;
    while (k < s.size() && std::isalpha(static_cast<unsigned char>(s[k]))) ++k;
    if (j == i || k == j) return std::nullopt;
    auto v = parse_number(s.substr(i, j - i));
    std::string_view unit = s.substr(j, k - j);
    double mult;
    if (unit == "ms") mult = 1e-3;
    else if (unit == "s") mult = 1;
    else if (unit == "m" || unit == "min") mult = 60;
    else if (unit == "h") mult = 3600;
    else if (unit == "d") mult = 86400;
    else return std::nullopt;
    if (!v) return std::nullopt;
    total += *v * mult;
    any = true;
    i = k;
  }
  if (!any || !std::isfinite(total)) return std::nullopt;
  return total;
}

std::string format_double(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, ec == std::errc() ? end : buf);
  // "1e+06" reads back as a number, but "3" for a double field looks like an int: fine.
  return s;
}

std::string format_bytes(int64_t b) {
  // Binary units first (memory is sized in them), then decimal ones ("4e9" -> 4GB).
  if (b > 0) {
    if (b % kTiB == 0) return std::to_string(b / kTiB) + "TiB";
    if (b % kGiB == 0) return std::to_string(b / kGiB) + "GiB";
    if (b % kMiB == 0) return std::to_string(b / kMiB) + "MiB";
    if (b % 1000000000000 == 0) return std::to_string(b / 1000000000000) + "TB";
    if (b % 1000000000 == 0) return std::to_string(b / 1000000000) + "GB";
    if (b % 1000000 == 0) return std::to_string(b / 1000000) + "MB";
    if (b % kKiB == 0) return std::to_string(b / kKiB) + "KiB";
  }
  return std::to_string(b);
}

std::string format_duration_value(double seconds) {
  if (seconds > 0 && seconds < 1e15 && seconds == std::floor(seconds)) {
    auto s = static_cast<int64_t>(seconds);
    if (s % 3600 == 0) return std::to_string(s / 3600) + "h";
    if (s % 60 == 0) return std::to_string(s / 60) + "m";
    return std::to_string(s) + "s";
  }
  return format_double(seconds);
}

std::string scalar_text(const std::string& s, const Check&) { return s; }
std::string scalar_text(double v, const Check& c) {
  return c.kind == Check::Kind::duration ? format_duration_value(v) : format_double(v);
}
std::string scalar_text(int64_t v, const Check& c) {
  return c.kind == Check::Kind::bytes ? format_bytes(v) : std::to_string(v);
}

void Writer::write_string(const std::string& s) {
  // Quote what a plain scalar would read back as something else (null, empty,
  // leading/trailing space); the emitter handles the rest.
  bool quote_it = s.empty() || YAML::IsNullString(s) || s.front() == ' ' || s.back() == ' ';
  if (quote_it) out_ << YAML::DoubleQuoted;
  out_ << s;
}

}  // namespace mctsnas::config
