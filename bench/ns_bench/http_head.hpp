#pragma once

#include <cstddef>
#include <string_view>

namespace ns::bench {

/// What ns-bench needs from the head of an HTTP/1.1 message: no allocation,
/// no copies. Pure, so it is tested without sockets.
struct http_head {
  std::size_t head_bytes = 0; // including the blank line
  std::size_t content_length = 0;
  int status = 0;       // responses only
  bool close = false;   // Connection: close, or HTTP/1.0 without keep-alive
  bool chunked = false; // not supported by ns-bench: counted as an error
};

/// Parses the head at the start of `data`. Returns false while the blank
/// line has not arrived; `ok` is cleared when the head is malformed.
bool parse_head(std::string_view data, bool is_response, http_head& out,
                bool& ok);

/// Where `"key":` (a JSON key followed by a whole number) is in `body`, the
/// number; 0 when absent.
unsigned long long find_json_uint(std::string_view body, std::string_view key);

/// Number of non-overlapping occurrences of `needle` in `haystack`.
std::size_t count_of(std::string_view haystack, std::string_view needle);

} // namespace ns::bench
