#pragma once

#include <sstream>
#include <string_view>

namespace ns::log {

enum class level : int { debug = 0, info, warning, error };

/// Parses "debug", "info", "warning" or "error".
bool parse_level(std::string_view text, level& out);
std::string_view to_string(level x);

/// Sets the threshold below which lines are dropped (thread-safe).
void set_level(level x);
bool enabled(level x);

/// One log line, written to stderr as a whole when it goes out of scope:
/// `ns::log::info() << "listening on " << endpoint;`
class line {
public:
  explicit line(level lvl);
  ~line();
  line(const line&) = delete;
  line& operator=(const line&) = delete;

  template <class T>
  line& operator<<(const T& x) {
    if (on_)
      buf_ << x;
    return *this;
  }

private:
  level lvl_;
  bool on_;
  std::ostringstream buf_;
};

inline line debug() {
  return line{level::debug};
}
inline line info() {
  return line{level::info};
}
inline line warning() {
  return line{level::warning};
}
inline line error() {
  return line{level::error};
}

} // namespace ns::log
