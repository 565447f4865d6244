#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "config/cidr.hpp"

namespace ns::net {

/// The special-purpose range `a` lies in ("loopback", "private", ...), or
/// empty for a public unicast address. An IPv4 address embedded in IPv6
/// (IPv4-mapped ::ffff:0:0/96, NAT64 64:ff9b::/96, 6to4 2002::/16) is judged
/// as that IPv4 address.
std::string_view special_range(const boost::asio::ip::address& a);

/// Which addresses a URL given by a client (`callback_url`) may reach: public
/// ones, and those in the admin's allow list (security.callback_allow).
/// Without it a client could make nsd POST to its own loopback services, the
/// cloud metadata endpoint or the private network nsd sits in.
class address_policy {
public:
  /// Public addresses only.
  address_policy() = default;
  explicit address_policy(std::vector<config::cidr> allow);

  /// Empty when `a` may be reached; else what it is, e.g. "127.0.0.1, a
  /// loopback address".
  std::string refusal(const boost::asio::ip::address& a) const;

  /// The hint every refusal carries, for error messages.
  static constexpr std::string_view hint
    = "client-supplied URLs may reach only public addresses unless "
      "security.callback_allow admits them";

private:
  std::vector<config::cidr> allow_;
};

} // namespace ns::net
