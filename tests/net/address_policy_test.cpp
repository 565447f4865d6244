#include <gtest/gtest.h>

#include "net/address_policy.hpp"

using namespace ns;
using boost::asio::ip::make_address;

namespace {

config::cidr range(std::string_view text) {
  config::cidr out;
  EXPECT_TRUE(config::parse_cidr(text, out)) << text;
  return out;
}

} // namespace

TEST(AddressPolicy, SpecialRangesByAddress) {
  struct row {
    const char* address;
    const char* range; // "" = public
  };
  for (auto [address, expected] : std::initializer_list<row>{
         // public
         {"8.8.8.8", ""},
         {"1.1.1.1", ""},
         {"100.63.255.255", ""},
         {"100.128.0.0", ""},
         {"172.15.255.255", ""},
         {"172.32.0.0", ""},
         {"192.167.255.255", ""},
         {"198.17.255.255", ""},
         {"198.20.0.0", ""},
         {"223.255.255.255", ""},
         {"2606:4700:4700::1111", ""},
         {"2a00:1450:4001:82a::200e", ""},
         // IPv4
         {"0.0.0.0", "unspecified (\"this network\")"},
         {"0.1.2.3", "unspecified (\"this network\")"},
         {"127.0.0.1", "loopback"},
         {"127.255.255.254", "loopback"},
         {"10.0.0.1", "private"},
         {"172.16.0.1", "private"},
         {"172.31.255.255", "private"},
         {"192.168.1.1", "private"},
         {"169.254.169.254", "link-local"},
         {"100.64.0.1", "shared (carrier-grade NAT)"},
         {"100.127.255.255", "shared (carrier-grade NAT)"},
         {"192.0.0.8", "IETF protocol assignment"},
         {"192.0.2.1", "documentation"},
         {"198.51.100.7", "documentation"},
         {"203.0.113.9", "documentation"},
         {"192.88.99.1", "6to4 relay anycast"},
         {"198.18.0.1", "benchmarking"},
         {"198.19.255.255", "benchmarking"},
         {"224.0.0.1", "multicast"},
         {"239.255.255.250", "multicast"},
         {"240.0.0.1", "reserved (or broadcast)"},
         {"255.255.255.255", "reserved (or broadcast)"},
         // IPv6
         {"::", "unspecified"},
         {"::1", "loopback"},
         {"::7f00:1", "IPv4-compatible (deprecated)"},
         {"fe80::1", "link-local"},
         {"febf:ffff::1", "link-local"},
         {"fc00::1", "private (unique local)"},
         {"fd00::1", "private (unique local)"},
         {"fd12:3456:789a::1", "private (unique local)"},
         {"fec0::1", "site-local (deprecated)"},
         {"ff02::1", "multicast"},
         {"100::1", "discard-only"},
         {"2001:db8::1", "documentation"},
         {"3fff::1", "documentation"},
         {"2001::1", "Teredo"},
         {"2001:2::1", "benchmarking"},
         {"2001:10::1", "IETF protocol assignment"},
         {"64:ff9b:1::1", "local-use NAT64"},
         {"5f00::1", "reserved"},
         {"4000::1", "reserved"},
         // IPv4 inside IPv6 is judged as that IPv4 address
         {"::ffff:127.0.0.1", "loopback"},
         {"::ffff:169.254.169.254", "link-local"},
         {"::ffff:10.1.2.3", "private"},
         {"::ffff:8.8.8.8", ""},
         {"64:ff9b::7f00:1", "loopback"},
         {"64:ff9b::a9fe:a9fe", "link-local"},
         {"64:ff9b::808:808", ""},
         {"2002:7f00:1::1", "loopback"},
         {"2002:c0a8:101::1", "private"},
         {"2002:808:808::1", ""},
       }) {
    EXPECT_EQ(net::special_range(make_address(address)), expected) << address;
  }
}

TEST(AddressPolicy, DefaultRefusesSpecialAndNamesIt) {
  net::address_policy policy;
  EXPECT_EQ(policy.refusal(make_address("8.8.8.8")), "");
  EXPECT_EQ(policy.refusal(make_address("127.0.0.1")),
            "127.0.0.1, a loopback address");
  EXPECT_EQ(policy.refusal(make_address("::1")), "::1, a loopback address");
  EXPECT_EQ(policy.refusal(make_address("169.254.169.254")),
            "169.254.169.254, a link-local address");
  EXPECT_EQ(policy.refusal(make_address("0.0.0.0")),
            "0.0.0.0, an unspecified (\"this network\") address");
}

TEST(AddressPolicy, AllowListAdmitsItsRangesOnly) {
  net::address_policy policy{{range("127.0.0.0/8"), range("fd00:1::/32")}};
  EXPECT_EQ(policy.refusal(make_address("127.0.0.1")), "");
  EXPECT_EQ(policy.refusal(make_address("127.9.9.9")), "");
  // The same IPv4 address in its IPv6 disguises is admitted too.
  EXPECT_EQ(policy.refusal(make_address("::ffff:127.0.0.1")), "");
  EXPECT_EQ(policy.refusal(make_address("64:ff9b::7f00:1")), "");
  EXPECT_EQ(policy.refusal(make_address("fd00:1:2::3")), "");
  EXPECT_NE(policy.refusal(make_address("fd00:2::3")), "");
  EXPECT_NE(policy.refusal(make_address("::1")), "");
  EXPECT_NE(policy.refusal(make_address("10.0.0.1")), "");
  EXPECT_NE(policy.refusal(make_address("169.254.169.254")), "");
  EXPECT_EQ(policy.refusal(make_address("8.8.8.8")), "");
}

TEST(AddressPolicy, AllowingAnIpv6RangeMatchesItAsWritten) {
  net::address_policy policy{{range("::1/128"), range("::ffff:10.0.0.0/104")}};
  EXPECT_EQ(policy.refusal(make_address("::1")), "");
  EXPECT_NE(policy.refusal(make_address("127.0.0.1")), "");
  EXPECT_EQ(policy.refusal(make_address("10.2.3.4")), "");
}
