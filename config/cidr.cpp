#include "config/cidr.hpp"

#include <cctype>
#include <charconv>

#include <arpa/inet.h>

#include "config/text.hpp"

namespace ns::config {

namespace {

constexpr unsigned v4_offset = 96; // bits of the ::ffff:0:0/96 prefix

bool is_v4_mapped(const ip_bytes& a) {
  for (size_t i = 0; i < 10; ++i)
    if (a[i] != 0)
      return false;
  return a[10] == 0xff && a[11] == 0xff;
}

} // namespace

bool cidr::contains(const ip_bytes& addr) const {
  unsigned whole = prefix / 8;
  for (unsigned i = 0; i < whole; ++i)
    if (addr[i] != base[i])
      return false;
  unsigned rest = prefix % 8;
  if (rest == 0)
    return true;
  auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (addr[whole] & mask) == (base[whole] & mask);
}

bool parse_cidr(std::string_view text, cidr& out) {
  text = trim(text);
  auto slash = text.find('/');
  // inet_pton wants a NUL-terminated string.
  std::string host{text.substr(0, slash)};
  cidr range;
  unsigned max_prefix = 128;
  if (inet_pton(AF_INET6, host.c_str(), range.base.data()) != 1) {
    if (inet_pton(AF_INET, host.c_str(), range.base.data() + 12) != 1)
      return false;
    range.base[10] = range.base[11] = 0xff;
    max_prefix = 32;
  }
  unsigned prefix = max_prefix;
  if (slash != std::string_view::npos) {
    auto digits = text.substr(slash + 1);
    auto [end, ec]
      = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || ec != std::errc{}
        || end != digits.data() + digits.size() || prefix > max_prefix)
      return false;
  }
  range.prefix = prefix + (max_prefix == 32 ? v4_offset : 0);
  for (unsigned bit = range.prefix; bit < 128; ++bit)
    if (range.base[bit / 8] & (0x80 >> (bit % 8)))
      return false;
  out = range;
  return true;
}

bool parse_cidr_list(std::string_view text, std::vector<cidr>& out) {
  std::vector<cidr> list;
  text = trim(text);
  while (!text.empty()) {
    auto comma = text.find(',');
    cidr range;
    if (!parse_cidr(text.substr(0, comma), range))
      return false;
    list.push_back(range);
    if (comma == std::string_view::npos)
      break;
    text = trim(text.substr(comma + 1));
    if (text.empty())
      return false; // a trailing comma hides a missing range
  }
  out = std::move(list);
  return true;
}

std::string to_string(const cidr& range) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (is_v4_mapped(range.base) && range.prefix >= v4_offset) {
    inet_ntop(AF_INET, range.base.data() + 12, buf, sizeof buf);
    return std::string{buf} + "/" + std::to_string(range.prefix - v4_offset);
  }
  inet_ntop(AF_INET6, range.base.data(), buf, sizeof buf);
  return std::string{buf} + "/" + std::to_string(range.prefix);
}

} // namespace ns::config
