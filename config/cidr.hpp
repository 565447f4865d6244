#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ns::config {

/// An address, IPv4 held as its IPv4-mapped IPv6 form (::ffff:a.b.c.d), so
/// that one range type and one comparison cover both families.
using ip_bytes = std::array<uint8_t, 16>;

/// An address range such as `10.0.0.0/8` or `fd00::/8`. An IPv4 range is kept
/// mapped: `10.0.0.0/8` is `::ffff:10.0.0.0/104`.
struct cidr {
  ip_bytes base{};
  /// Leading bits that must match, 0..128.
  unsigned prefix = 0;

  /// Whether `addr` lies inside.
  bool contains(const ip_bytes& addr) const;

  friend bool operator==(const cidr&, const cidr&) = default;
};

/// Parses `10.0.0.0/8`, `::1/128`, or one address (`192.168.1.7`, a /32 or
/// /128). Bits past the prefix must be zero: `10.0.0.1/8` is refused rather
/// than guessed at.
bool parse_cidr(std::string_view text, cidr& out);

/// Parses a comma-separated list of ranges; empty text is an empty list.
bool parse_cidr_list(std::string_view text, std::vector<cidr>& out);

/// `10.0.0.0/8`, `fd00::/8`: IPv4 ranges written as IPv4.
std::string to_string(const cidr& range);

} // namespace ns::config
