#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "actors/actors.hpp"

namespace ns {

/// The job manager's index of its live jobs, by id. An id as new_job_id makes
/// it (`<node>-<24 hex digits>`) is held as 16 bytes: the hex digits as two
/// numbers and the node as its place in a small table. That is a 48-byte hash
/// node per live job instead of ~130 with a heap copy of the id
/// (docs/benchmarks.md, RSS per live job). Ids of any other form fall back to
/// a map by string, so every id works.
class live_jobs {
public:
  struct entry {
    job_actor hdl;
    /// The adapter actor the job was given (empty: its adapter did not
    /// exist); to find the jobs of a deleted adapter.
    adapter_actor adapter;
  };

  const entry* find(std::string_view id) const;

  bool contains(std::string_view id) const {
    return find(id) != nullptr;
  }

  /// False (and nothing changes) if `id` is there already.
  bool emplace(std::string_view id, entry x);

  void erase(std::string_view id);

  size_t size() const {
    return compact_.size() + other_.size();
  }

  template <class F>
  void for_each(F&& f) const {
    for (auto& kv : compact_)
      f(kv.second);
    for (auto& kv : other_)
      f(kv.second);
  }

private:
  struct key {
    uint64_t head = 0; // the first 16 hex digits
    uint32_t tail = 0; // the last 8
    uint32_t node = 0; // index into nodes_
    bool operator==(const key&) const = default;
  };

  struct key_hash {
    size_t operator()(const key& k) const noexcept;
  };

  /// The key of `id` if it has new_job_id's form and its node is known (or,
  /// with `add_node`, has just been added to the table).
  std::optional<key> compact(std::string_view id, bool add_node);
  std::optional<key> compact(std::string_view id) const;

  std::vector<std::string> nodes_;
  std::unordered_map<key, entry, key_hash> compact_;
  std::unordered_map<std::string, entry> other_;
};

} // namespace ns
