#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

// What the admin API shows of connected external adapter instances. Each
// proxy actor updates its own counters; the HTTP threads read them without
// waiting for any actor.

namespace ns {

struct instance_info {
  std::string id;
  std::string adapter;
  std::string peer;
  std::string name;
  uint64_t connected_ms = 0;
  /// Jobs the instance may still be sent.
  std::atomic<uint32_t> credit{0};
  std::atomic<uint32_t> in_flight{0};
  std::atomic<uint64_t> done{0};
  std::atomic<uint64_t> last_heartbeat_ms{0};
};

/// A copy of one instance_info, for output.
struct instance_view {
  std::string id;
  std::string peer;
  std::string name;
  uint64_t connected_ms = 0;
  uint32_t credit = 0;
  uint32_t in_flight = 0;
  uint64_t done = 0;
  uint64_t last_heartbeat_ms = 0;
};

class instance_board {
public:
  void add(std::shared_ptr<instance_info> x);
  void remove(const std::string& id);
  /// The instances of `adapter`, oldest connection first.
  std::vector<instance_view> of(const std::string& adapter) const;
  size_t size() const;

private:
  mutable std::mutex mtx_;
  std::map<std::string, std::shared_ptr<instance_info>> by_id_;
};

} // namespace ns
