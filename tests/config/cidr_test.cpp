#include <gtest/gtest.h>

#include "config/cidr.hpp"

using namespace ns;

namespace {

std::string round_trip(std::string_view text) {
  config::cidr out;
  if (!config::parse_cidr(text, out))
    return "refused";
  return to_string(out);
}

config::ip_bytes v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d};
}

} // namespace

TEST(Cidr, ParsesRangesAndSingleAddresses) {
  EXPECT_EQ(round_trip("127.0.0.0/8"), "127.0.0.0/8");
  EXPECT_EQ(round_trip(" 10.1.2.3 "), "10.1.2.3/32");
  EXPECT_EQ(round_trip("0.0.0.0/0"), "0.0.0.0/0");
  EXPECT_EQ(round_trip("::1/128"), "::1/128");
  EXPECT_EQ(round_trip("fd00::/8"), "fd00::/8");
  EXPECT_EQ(round_trip("fe80::1"), "fe80::1/128");
  EXPECT_EQ(round_trip("::/0"), "::/0");
  EXPECT_EQ(round_trip("::ffff:10.0.0.0/104"), "10.0.0.0/8");
}

TEST(Cidr, RefusesWhatIsNotARange) {
  for (auto text : {"", "/8", "10.0.0.0/", "10.0.0.0/33", "::/129",
                    "10.0.0.1/8", "fd00::1/8", "127.1", "localhost",
                    "10.0.0.0/8x", "10.0.0.0/-1", "10.0.0.0/+8", "[::1]/128"})
    EXPECT_EQ(round_trip(text), "refused") << text;
}

TEST(Cidr, ContainsComparesThePrefixBits) {
  config::cidr r;
  ASSERT_TRUE(config::parse_cidr("172.16.0.0/12", r));
  EXPECT_TRUE(r.contains(v4(172, 16, 0, 0)));
  EXPECT_TRUE(r.contains(v4(172, 31, 255, 255)));
  EXPECT_FALSE(r.contains(v4(172, 32, 0, 0)));
  EXPECT_FALSE(r.contains(v4(172, 15, 255, 255)));
  ASSERT_TRUE(config::parse_cidr("0.0.0.0/0", r));
  EXPECT_TRUE(r.contains(v4(8, 8, 8, 8)));
  config::ip_bytes v6_loopback{};
  v6_loopback[15] = 1;
  EXPECT_FALSE(r.contains(v6_loopback)); // an IPv4 range holds no IPv6
}

TEST(Cidr, ListsAreCommaSeparated) {
  std::vector<config::cidr> list;
  ASSERT_TRUE(config::parse_cidr_list("127.0.0.0/8, ::1/128", list));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(to_string(list[1]), "::1/128");
  ASSERT_TRUE(config::parse_cidr_list("  ", list));
  EXPECT_TRUE(list.empty());
  EXPECT_FALSE(config::parse_cidr_list("127.0.0.0/8,", list));
  EXPECT_FALSE(config::parse_cidr_list("127.0.0.0/8,,::1", list));
  EXPECT_FALSE(config::parse_cidr_list("127.0.0.0/8 ::1", list));
}
