#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "ns_bench/histogram.hpp"

using ns::bench::histogram;

namespace {

// The sample a sorted vector gives for percentile p (nearest rank).
uint64_t exact(const std::vector<uint64_t>& sorted, double p) {
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * sorted.size()));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

void expect_close(uint64_t got, uint64_t want, double p) {
  // One bucket is at most 1/128 of its values wide.
  double tolerance = std::max(1.0, static_cast<double>(want) / 128.0);
  EXPECT_NEAR(static_cast<double>(got), static_cast<double>(want), tolerance)
    << "percentile " << p;
}

} // namespace

TEST(BenchHistogram, EmptyIsZero) {
  histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(50), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.min(), 0u);
}

TEST(BenchHistogram, SmallValuesAreExact) {
  histogram h;
  for (uint64_t v = 0; v < 100; ++v)
    h.record(v);
  EXPECT_EQ(h.percentile(50), 49u);
  EXPECT_EQ(h.percentile(100), 99u);
  EXPECT_EQ(h.percentile(1), 0u);
}

TEST(BenchHistogram, BucketsTileTheRangeWithinOnePercent) {
  for (int i = 1; i < histogram::bucket_count; ++i) {
    ASSERT_EQ(histogram::lowest_of(i), histogram::highest_of(i - 1) + 1) << i;
    auto lo = histogram::lowest_of(i);
    auto width = histogram::highest_of(i) - lo + 1;
    ASSERT_LE(static_cast<double>(width), std::max(1.0, lo / 128.0)) << i;
    ASSERT_EQ(histogram::index_of(lo), i);
    ASSERT_EQ(histogram::index_of(histogram::highest_of(i)), i);
  }
}

TEST(BenchHistogram, PercentilesMatchSortedSamples) {
  std::mt19937_64 rng{42};
  // Latency-like: log-normal around 1 ms, with a long tail.
  std::lognormal_distribution<double> dist{std::log(1e6), 1.2};
  for (int round = 0; round < 3; ++round) {
    histogram h;
    std::vector<uint64_t> samples;
    for (int i = 0; i < 100000; ++i) {
      auto v = static_cast<uint64_t>(dist(rng));
      samples.push_back(v);
      h.record(v);
    }
    std::sort(samples.begin(), samples.end());
    EXPECT_EQ(h.count(), samples.size());
    EXPECT_EQ(h.max(), samples.back());
    EXPECT_EQ(h.min(), samples.front());
    for (double p : {1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0})
      expect_close(h.percentile(p), exact(samples, p), p);
  }
}

TEST(BenchHistogram, MergeEqualsRecordingEverything) {
  std::mt19937_64 rng{7};
  std::uniform_int_distribution<uint64_t> dist{1, 5'000'000'000};
  histogram a;
  histogram b;
  histogram all;
  for (int i = 0; i < 20000; ++i) {
    auto v = dist(rng);
    (i % 2 ? a : b).record(v);
    all.record(v);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_EQ(a.min(), all.min());
  for (double p : {50.0, 99.0, 99.9})
    EXPECT_EQ(a.percentile(p), all.percentile(p));
  a.reset();
  EXPECT_EQ(a.count(), 0u);
}

TEST(BenchHistogram, HugeValuesSaturate) {
  histogram h;
  h.record(UINT64_MAX);
  EXPECT_EQ(h.count(), 1u);
  EXPECT_EQ(h.max(), UINT64_MAX);
  EXPECT_EQ(h.percentile(50), UINT64_MAX); // clamped to [min, max]
}
