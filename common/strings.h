#pragma once
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mctsnas {

std::vector<std::string> split(std::string_view s, char sep);
std::string join(std::span<const std::string> parts, std::string_view sep);
std::string trim(std::string_view s);

// Edit distance (Levenshtein), for did-you-mean suggestions.
int edit_distance(std::string_view a, std::string_view b);
// The closest candidate if it is close enough to be a plausible typo, else "".
std::string closest_match(std::string_view word, std::span<const std::string> candidates);

// Control characters escaped as \xNN: user text quoted in a message keeps it on one line.
std::string one_line(std::string_view text);

// Bytes as lower-case hex digits (binary data inside a JSON message), and back;
// nullopt for text that is not an even count of hex digits.
std::string to_hex(std::string_view bytes);
std::optional<std::string> from_hex(std::string_view hex);

// "1h02m", "3m05s", "4.2s".
std::string format_duration(double seconds);

}  // namespace mctsnas
