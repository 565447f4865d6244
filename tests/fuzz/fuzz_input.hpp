#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

// What the fuzz targets share: reading the input as text lines (seeds stay
// hand-writable) and the checks that turn a wrong answer into a crash, which
// libFuzzer then saves as a reproducer.

namespace ns::fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// The text up to the first '\n', removed from `in` with the '\n'.
inline std::string_view next_line(std::string_view& in) {
  auto nl = in.find('\n');
  auto line = in.substr(0, nl);
  in = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
  return line;
}

/// Fails the run with `what`: an abort is what libFuzzer records as a crash.
[[noreturn]] inline void fail(const char* what, std::string_view detail) {
  // The reproducer is saved whole; the log needs only a glimpse.
  std::fprintf(stderr, "fuzz check failed: %s: %.*s%s\n", what,
               static_cast<int>(std::min<size_t>(detail.size(), 300)),
               detail.data(), detail.size() > 300 ? "..." : "");
  std::abort();
}

inline void check(bool ok, const char* what, std::string_view detail = {}) {
  if (!ok)
    fail(what, detail);
}

/// Whether `text` is well-formed JSON (Boost.JSON also rejects bad UTF-8).
inline bool valid_json(std::string_view text) {
  boost::json::error_code ec;
  boost::json::parse(text, ec);
  return !ec;
}

/// Whether `s` is valid UTF-8: as a JSON string it must read back.
inline bool valid_utf8(std::string_view s) {
  return valid_json(boost::json::serialize(boost::json::string{s}));
}

} // namespace ns::fuzz
