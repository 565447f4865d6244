#pragma once

#include <cstddef>
#include <string>
#include <string_view>

// UTF-8 for text that ns passes on: every body ns writes is JSON, and JSON is
// UTF-8. Text from outside (a request path, a header, a receiver's answer, an
// adapter's message) may not be; text ns cuts must not end inside a
// character. Header-only: the adapter protocol codec, which links no ns
// library, uses it too.

namespace ns::utf8 {

/// The length of the well-formed UTF-8 sequence (RFC 3629: no overlong forms,
/// no surrogates, nothing above U+10FFFF) at the start of `s`; 0 when `s` is
/// empty or starts with an ill-formed or truncated sequence.
inline size_t sequence_length(std::string_view s) noexcept {
  if (s.empty())
    return 0;
  auto at = [&](size_t i) {
    return static_cast<unsigned char>(s[i]);
  };
  auto c = at(0);
  if (c < 0x80)
    return 1;
  size_t n = 0;
  unsigned char lo = 0x80; // the range of the second byte
  unsigned char hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0)
      lo = 0xa0; // overlong
    else if (c == 0xed)
      hi = 0x9f; // surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0)
      lo = 0x90; // overlong
    else if (c == 0xf4)
      hi = 0x8f; // above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() < n || at(1) < lo || at(1) > hi)
    return 0;
  for (size_t i = 2; i < n; ++i)
    if (at(i) < 0x80 || at(i) > 0xbf)
      return 0;
  return n;
}

/// The length of the longest prefix of `s` that is well-formed UTF-8.
inline size_t valid_prefix(std::string_view s) noexcept {
  size_t pos = 0;
  while (pos < s.size()) {
    // ASCII runs are the common case: no decoding for them.
    if (static_cast<unsigned char>(s[pos]) < 0x80) {
      ++pos;
      continue;
    }
    auto n = sequence_length(s.substr(pos));
    if (n == 0)
      break;
    pos += n;
  }
  return pos;
}

/// Whether all of `s` is well-formed UTF-8.
inline bool valid(std::string_view s) noexcept {
  return valid_prefix(s) == s.size();
}

/// At most `max_bytes` of `s`, ending on a character boundary: the longest
/// well-formed prefix of its first `max_bytes` bytes (for well-formed `s`,
/// the cut drops at most the one character the limit would split).
inline std::string_view cut(std::string_view s, size_t max_bytes) noexcept {
  return s.substr(0, valid_prefix(s.substr(0, max_bytes)));
}

/// `s` with each ill-formed sequence replaced by U+FFFD (one per maximal
/// ill-formed subpart, as Unicode recommends, closely enough: one per byte
/// that starts no well-formed sequence).
inline std::string sanitize(std::string_view s) {
  auto good = valid_prefix(s);
  if (good == s.size())
    return std::string{s};
  std::string out{s.substr(0, good)};
  out.reserve(s.size() + 8);
  for (size_t pos = good; pos < s.size();) {
    auto n = sequence_length(s.substr(pos));
    if (n == 0) {
      out += "\xef\xbf\xbd";
      ++pos;
      // Continuation bytes after a broken lead belong to the same mistake.
      while (pos < s.size()
             && (static_cast<unsigned char>(s[pos]) & 0xc0) == 0x80)
        ++pos;
    } else {
      out.append(s.substr(pos, n));
      pos += n;
    }
  }
  return out;
}

/// Well-formed UTF-8 without control characters (C0, DEL, C1): text fit to
/// be stored as a key, logged and echoed.
inline bool printable(std::string_view s) noexcept {
  if (!valid(s))
    return false;
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f)
      return false;
    // U+0080..U+009F are encoded as C2 80..C2 9F.
    if (c == 0xc2 && i + 1 < s.size()
        && static_cast<unsigned char>(s[i + 1]) <= 0x9f)
      return false;
  }
  return true;
}

} // namespace ns::utf8
