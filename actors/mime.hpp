#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

// Internet message building (RFC 5322, MIME RFC 2045-2047) for the smtp
// channel. Pure functions.

namespace ns::mime {

struct message {
  /// Header values as given ("Ops <ops@example.com>"); non-ASCII display
  /// names are encoded.
  std::string from;
  std::vector<std::string> to;
  std::vector<std::string> cc;
  std::string reply_to;
  std::string subject;
  /// Either or both; both make multipart/alternative.
  std::string text;
  std::string html;
  /// Without angle brackets.
  std::string message_id;
  uint64_t date_ms = 0;
};

/// Base64 of `data`, in lines of 76 characters joined by CRLF when `wrap`.
std::string base64(std::string_view data, bool wrap = false);

/// `text` as it may stand in a header: unchanged when printable ASCII, else
/// RFC 2047 encoded-words (UTF-8, "B"), each at most 75 characters and never
/// splitting a UTF-8 sequence.
std::string encode_word(std::string_view text);

/// An address header value with a non-ASCII display name encoded:
/// `Jürgen <j@example.com>` -> `=?UTF-8?B?SsO8cmdlbg==?= <j@example.com>`.
std::string encode_address(std::string_view address);

/// The bare address of `Name <a@b>` or `a@b`; empty when it does not look
/// like one (no '@', spaces, control characters, angle brackets unbalanced).
std::string bare_address(std::string_view address);

/// RFC 5322 date: "Mon, 23 Nov 2026 06:17:20 +0000".
std::string date(uint64_t ms);

/// The whole message, CRLF line ends; `boundary` separates the parts of a
/// multipart/alternative body.
std::string build(const message& m, std::string_view boundary);

} // namespace ns::mime
