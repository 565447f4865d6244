#include "net/address_policy.hpp"

#include <algorithm>
#include <cassert>

namespace ns::net {

namespace {

using config::ip_bytes;

struct special {
  config::cidr range;
  std::string_view name;
};

config::cidr range(std::string_view text) {
  config::cidr out;
  [[maybe_unused]] bool ok = config::parse_cidr(text, out);
  assert(ok);
  return out;
}

/// IANA's special-purpose registries (RFC 6890 and successors), the parts a
/// callback has no business reaching. First match names the range.
const std::vector<special>& specials() {
  static const std::vector<special> table = {
    {range("0.0.0.0/8"), "unspecified (\"this network\")"},
    {range("10.0.0.0/8"), "private"},
    {range("100.64.0.0/10"), "shared (carrier-grade NAT)"},
    {range("127.0.0.0/8"), "loopback"},
    {range("169.254.0.0/16"), "link-local"},
    {range("172.16.0.0/12"), "private"},
    {range("192.0.0.0/24"), "IETF protocol assignment"},
    {range("192.0.2.0/24"), "documentation"},
    {range("192.88.99.0/24"), "6to4 relay anycast"},
    {range("192.168.0.0/16"), "private"},
    {range("198.18.0.0/15"), "benchmarking"},
    {range("198.51.100.0/24"), "documentation"},
    {range("203.0.113.0/24"), "documentation"},
    {range("224.0.0.0/4"), "multicast"},
    {range("240.0.0.0/4"), "reserved (or broadcast)"},
    {range("::/128"), "unspecified"},
    {range("::1/128"), "loopback"},
    {range("::/96"), "IPv4-compatible (deprecated)"},
    {range("64:ff9b:1::/48"), "local-use NAT64"},
    {range("100::/64"), "discard-only"},
    {range("2001::/32"), "Teredo"},
    {range("2001:2::/48"), "benchmarking"},
    {range("2001:db8::/32"), "documentation"},
    {range("2001::/23"), "IETF protocol assignment"},
    {range("3fff::/20"), "documentation"},
    {range("fc00::/7"), "private (unique local)"},
    {range("fe80::/10"), "link-local"},
    {range("fec0::/10"), "site-local (deprecated)"},
    {range("ff00::/8"), "multicast"},
  };
  return table;
}

ip_bytes to_bytes(const boost::asio::ip::address& a) {
  if (a.is_v6())
    return a.to_v6().to_bytes();
  ip_bytes out{};
  out[10] = out[11] = 0xff;
  auto v4 = a.to_v4().to_bytes();
  std::copy(v4.begin(), v4.end(), out.begin() + 12);
  return out;
}

/// `a` with an embedded IPv4 address taken out, as the IPv4 it reaches.
ip_bytes unwrap(const ip_bytes& a) {
  static const auto nat64 = range("64:ff9b::/96");
  static const auto six_to_four = range("2002::/16");
  ip_bytes out{};
  out[10] = out[11] = 0xff;
  if (nat64.contains(a)) {
    std::copy(a.begin() + 12, a.end(), out.begin() + 12);
    return out;
  }
  if (six_to_four.contains(a)) {
    std::copy(a.begin() + 2, a.begin() + 6, out.begin() + 12);
    return out;
  }
  return a; // IPv4-mapped addresses are this form already
}

std::string_view judge(const ip_bytes& a) {
  for (auto& s : specials())
    if (s.range.contains(a))
      return s.name;
  static const auto v4 = range("::ffff:0:0/96");
  static const auto global_unicast = range("2000::/3");
  if (!v4.contains(a) && !global_unicast.contains(a))
    return "reserved";
  return {};
}

} // namespace

std::string_view special_range(const boost::asio::ip::address& a) {
  return judge(unwrap(to_bytes(a)));
}

address_policy::address_policy(std::vector<config::cidr> allow)
  : allow_(std::move(allow)) {
}

std::string address_policy::refusal(const boost::asio::ip::address& a) const {
  auto bytes = to_bytes(a);
  auto inner = unwrap(bytes);
  if (std::any_of(allow_.begin(), allow_.end(), [&](const config::cidr& r) {
        return r.contains(bytes) || r.contains(inner);
      }))
    return {};
  auto name = judge(inner);
  if (name.empty())
    return {};
  auto text = a.to_string() + ", a";
  if (std::string_view{"aeiouIAEIOU"}.find(name.front())
      != std::string_view::npos)
    text += "n";
  return text + " " + std::string{name} + " address";
}

} // namespace ns::net
