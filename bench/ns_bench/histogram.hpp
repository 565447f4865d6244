#pragma once

#include <array>
#include <cstdint>

namespace ns::bench {

/// A log-linear latency histogram (HDR-like): values up to 2^40 (ns: ~18
/// minutes) in fixed memory, each within 1/128 (< 1 %) of the truth. No
/// per-sample storage, so recording is one index computation and an add.
class histogram {
public:
  /// 2^7 linear sub-buckets per power of two: the relative error bound.
  static constexpr int sub_bits = 7;
  static constexpr int sub_count = 1 << sub_bits;
  static constexpr int max_bits = 40;
  static constexpr int bucket_count = (max_bits - sub_bits + 1) * sub_count;

  void record(uint64_t value) noexcept {
    ++counts_[index_of(value)];
    ++total_;
    if (value > max_)
      max_ = value;
    if (value < min_)
      min_ = value;
    sum_ += value;
  }

  void merge(const histogram& other) noexcept;
  void reset() noexcept;

  uint64_t count() const noexcept {
    return total_;
  }

  uint64_t max() const noexcept {
    return total_ ? max_ : 0;
  }

  uint64_t min() const noexcept {
    return total_ ? min_ : 0;
  }

  double mean() const noexcept {
    return total_ ? static_cast<double>(sum_) / total_ : 0.0;
  }

  /// The value at percentile `p` (0..100): the smallest recorded value's
  /// bucket that holds at least p % of the samples, reported as the bucket's
  /// midpoint and clamped to [min, max]. 0 when empty.
  uint64_t percentile(double p) const noexcept;

  static int index_of(uint64_t value) noexcept;
  /// Lowest value that maps to bucket `index`.
  static uint64_t lowest_of(int index) noexcept;
  /// Highest value that maps to bucket `index`.
  static uint64_t highest_of(int index) noexcept;

private:
  std::array<uint64_t, bucket_count> counts_{};
  uint64_t total_ = 0;
  uint64_t max_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t sum_ = 0;
};

} // namespace ns::bench
