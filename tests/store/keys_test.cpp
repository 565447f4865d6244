#include <gtest/gtest.h>

#include "store/keys.hpp"

using namespace ns::store;

TEST(StoreKeys, U64RoundTripsAndSortsNumerically) {
  for (uint64_t x : {0ull, 1ull, 255ull, 256ull, 1ull << 40, ~0ull}) {
    std::string s;
    keys::append_u64(s, x);
    ASSERT_EQ(s.size(), 8u);
    EXPECT_EQ(keys::read_u64(s), x);
  }
  std::string a, b;
  keys::append_u64(a, 255);
  keys::append_u64(b, 256);
  EXPECT_LT(a, b); // byte order is numeric order
  EXPECT_FALSE(keys::read_u64("short"));
}

TEST(StoreKeys, DueKeysSortByInstantThenId) {
  auto early = keys::due(1000, "zzz");
  auto late = keys::due(1001, "aaa");
  EXPECT_LT(early, late);
  EXPECT_LT(keys::due(1000, "a"), keys::due(1000, "b"));
  auto parsed = keys::parse_due(late);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->at_ms, 1001u);
  EXPECT_EQ(parsed->job_id, "aaa");
  EXPECT_FALSE(keys::parse_due("1234567"));
  EXPECT_FALSE(keys::parse_due(std::string(8, '\0'))); // no job id
}

TEST(StoreKeys, IdempotencyKeysDoNotCollideAcrossClients) {
  EXPECT_NE(keys::idempotency("ab", "c"), keys::idempotency("a", "bc"));
  auto prefix = keys::idempotency_prefix("cl_1");
  EXPECT_EQ(keys::idempotency("cl_1", "k").rfind(prefix, 0), 0u);
  EXPECT_NE(keys::idempotency("cl_12", "k").rfind(prefix, 0), 0u);
}
