#include "ns_bench/http_head.hpp"

#include <charconv>

namespace ns::bench {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    if (x != b[i])
      return false;
  }
  return true;
}

bool icontains(std::string_view hay, std::string_view needle) {
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i)
    if (iequals(hay.substr(i, needle.size()), needle))
      return true;
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

} // namespace

bool parse_head(std::string_view data, bool is_response, http_head& out,
                bool& ok) {
  ok = true;
  auto end = data.find("\r\n\r\n");
  if (end == std::string_view::npos)
    return false;
  out = http_head{};
  out.head_bytes = end + 4;
  auto head = data.substr(0, end);
  auto eol = head.find("\r\n");
  auto first = head.substr(0, eol);
  bool http10 = false;
  if (is_response) {
    // "HTTP/1.1 202 Accepted"
    if (first.size() < 12 || first.substr(0, 5) != "HTTP/") {
      ok = false;
      return true;
    }
    http10 = first.substr(5, 3) == "1.0";
    auto code = first.substr(9, 3);
    auto [p, ec] = std::from_chars(code.data(), code.data() + 3, out.status);
    if (ec != std::errc{} || p != code.data() + 3) {
      ok = false;
      return true;
    }
  } else {
    http10 = first.size() >= 8 && first.substr(first.size() - 8) == "HTTP/1.0";
  }
  bool keep_alive = false;
  while (eol != std::string_view::npos) {
    head.remove_prefix(eol + 2);
    eol = head.find("\r\n");
    auto line = head.substr(0, eol);
    auto colon = line.find(':');
    if (colon == std::string_view::npos)
      continue;
    auto name = line.substr(0, colon);
    auto value = trim(line.substr(colon + 1));
    if (iequals(name, "content-length")) {
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(),
                                     out.content_length);
      if (ec != std::errc{} || p != value.data() + value.size())
        ok = false;
    } else if (iequals(name, "connection")) {
      out.close = icontains(value, "close");
      keep_alive = icontains(value, "keep-alive");
    } else if (iequals(name, "transfer-encoding")) {
      out.chunked = icontains(value, "chunked");
    }
  }
  if (http10 && !keep_alive)
    out.close = true;
  return true;
}

unsigned long long find_json_uint(std::string_view body, std::string_view key) {
  auto at = body.find(key);
  if (at == std::string_view::npos)
    return 0;
  auto rest = body.substr(at + key.size());
  while (!rest.empty() && rest.front() == ' ')
    rest.remove_prefix(1);
  unsigned long long v = 0;
  std::from_chars(rest.data(), rest.data() + rest.size(), v);
  return v;
}

std::size_t count_of(std::string_view haystack, std::string_view needle) {
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + needle.size()))
    ++n;
  return n;
}

} // namespace ns::bench
