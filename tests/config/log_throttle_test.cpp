#include <thread>

#include <gtest/gtest.h>

#include "config/log_throttle.hpp"

using namespace std::chrono_literals;

TEST(LogThrottle, AdmitsOncePerIntervalAndCountsTheRest) {
  ns::log::throttle t{1h};
  uint64_t n = 99;
  ASSERT_TRUE(t.admit(n));
  EXPECT_EQ(n, 0u);
  for (int i = 0; i < 5; ++i)
    EXPECT_FALSE(t.admit(n));
  EXPECT_EQ(n, 0u) << "a refused call leaves the count alone";
}

TEST(LogThrottle, ReportsWhatItHeldBackWhenTheIntervalIsOver) {
  ns::log::throttle t{20ms};
  uint64_t n = 0;
  ASSERT_TRUE(t.admit(n));
  EXPECT_FALSE(t.admit(n));
  EXPECT_FALSE(t.admit(n));
  std::this_thread::sleep_for(25ms); // steady clock: at least 20 ms pass
  ASSERT_TRUE(t.admit(n));
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(ns::log::suppressed_note(n), " (2 more since the last report)");
  EXPECT_EQ(ns::log::suppressed_note(0), "");
}
