#include "ns_bench/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace ns::bench {

// Values below sub_count map 1:1 (exact); above, the top sub_bits bits after
// the leading one select the sub-bucket of the value's power of two.
int histogram::index_of(uint64_t value) noexcept {
  constexpr uint64_t limit = (uint64_t{1} << max_bits) - 1;
  if (value > limit)
    value = limit;
  if (value < sub_count)
    return static_cast<int>(value);
  int msb = 63 - std::countl_zero(value);
  int shift = msb - sub_bits;
  auto sub = static_cast<int>((value >> shift) & (sub_count - 1));
  return (shift + 1) * sub_count + sub;
}

uint64_t histogram::lowest_of(int index) noexcept {
  if (index < sub_count)
    return static_cast<uint64_t>(index);
  int shift = index / sub_count - 1;
  uint64_t sub = static_cast<uint64_t>(index % sub_count);
  return (uint64_t{sub_count} + sub) << shift;
}

uint64_t histogram::highest_of(int index) noexcept {
  if (index < sub_count)
    return static_cast<uint64_t>(index);
  int shift = index / sub_count - 1;
  return lowest_of(index) + ((uint64_t{1} << shift) - 1);
}

void histogram::merge(const histogram& other) noexcept {
  for (int i = 0; i < bucket_count; ++i)
    counts_[i] += other.counts_[i];
  total_ += other.total_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
  min_ = std::min(min_, other.min_);
}

void histogram::reset() noexcept {
  counts_.fill(0);
  total_ = 0;
  max_ = 0;
  min_ = UINT64_MAX;
  sum_ = 0;
}

uint64_t histogram::percentile(double p) const noexcept {
  if (total_ == 0)
    return 0;
  p = std::clamp(p, 0.0, 100.0);
  // The rank of the sample wanted, 1-based, as a sorted vector would have it.
  auto rank = static_cast<uint64_t>(std::ceil(p / 100.0 * total_));
  rank = std::clamp<uint64_t>(rank, 1, total_);
  uint64_t seen = 0;
  for (int i = 0; i < bucket_count; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      uint64_t lo = lowest_of(i);
      uint64_t mid = lo + (highest_of(i) - lo) / 2;
      return std::clamp(mid, min(), max());
    }
  }
  return max();
}

} // namespace ns::bench
