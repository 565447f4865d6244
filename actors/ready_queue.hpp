#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <caf/actor.hpp>

#include "actors/job.hpp"

namespace ns {

/// An adapter's ready jobs: high before normal before low, and by arrival
/// (the manager's spawn sequence) within a priority. A binary heap of 16-byte
/// entries: with a backlog every live job may wait here, so a queued job
/// costs ~24 bytes instead of a 112-byte map node plus a copy of its id
/// (docs/benchmarks.md, RSS per live job).
class ready_queue {
public:
  void push(job_priority priority, uint64_t seq, caf::actor job);

  /// Takes the first job out; the queue must not be empty.
  caf::actor pop();

  bool empty() const {
    return heap_.empty();
  }

  size_t size() const {
    return heap_.size();
  }

private:
  struct entry {
    /// priority in the top byte, the sequence below: one comparison orders.
    uint64_t key;
    caf::actor job;
  };

  std::vector<entry> heap_;
};

} // namespace ns
