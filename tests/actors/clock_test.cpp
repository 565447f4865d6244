#include <cstdio>
#include <ctime>
#include <random>

#include <gtest/gtest.h>

#include "actors/clock.hpp"

using namespace ns;

namespace {

// The slow, obviously right way.
std::string reference(uint64_t ms) {
  auto secs = static_cast<time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

} // namespace

TEST(Clock, Rfc3339OfKnownInstants) {
  EXPECT_EQ(clock::rfc3339(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(clock::rfc3339(951'782'400'000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(clock::rfc3339(1'795'392'000'123), "2026-11-23T00:00:00.123Z");
  EXPECT_EQ(clock::rfc3339(253'402'300'799'999), "9999-12-31T23:59:59.999Z");
}

TEST(Clock, Rfc3339MatchesGmtimeAndRoundTrips) {
  std::mt19937_64 gen{42};
  std::uniform_int_distribution<uint64_t> any_ms{0, 253'402'300'799'999};
  for (int i = 0; i < 200'000; ++i) {
    auto ms = any_ms(gen);
    auto text = clock::rfc3339(ms);
    ASSERT_EQ(text, reference(ms)) << ms;
    ASSERT_EQ(clock::parse_rfc3339(text), ms) << text;
  }
}
