#include "actors/ready_queue.hpp"

#include <algorithm>

namespace ns {

namespace {

constexpr uint64_t seq_mask = (uint64_t{1} << 56) - 1;

// std::*_heap keep the greatest first: invert for the smallest key.
struct later {
  template <class T>
  bool operator()(const T& x, const T& y) const {
    return x.key > y.key;
  }
};

} // namespace

void ready_queue::push(job_priority priority, uint64_t seq, caf::actor job) {
  auto key = (static_cast<uint64_t>(priority) << 56) | (seq & seq_mask);
  heap_.push_back(entry{key, std::move(job)});
  std::push_heap(heap_.begin(), heap_.end(), later{});
}

caf::actor ready_queue::pop() {
  std::pop_heap(heap_.begin(), heap_.end(), later{});
  auto out = std::move(heap_.back().job);
  heap_.pop_back();
  // A drained backlog gives its memory back, without reallocating on every
  // small swing of a short queue.
  if (heap_.capacity() > 4096 && heap_.size() < heap_.capacity() / 4)
    heap_.shrink_to_fit();
  return out;
}

} // namespace ns
