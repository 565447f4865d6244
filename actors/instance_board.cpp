#include "actors/instance_board.hpp"

namespace ns {

void instance_board::add(std::shared_ptr<instance_info> x) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto id = x->id;
  by_id_.emplace(std::move(id), std::move(x));
}

void instance_board::remove(const std::string& id) {
  std::lock_guard<std::mutex> guard{mtx_};
  by_id_.erase(id);
}

std::vector<instance_view>
instance_board::of(const std::string& adapter) const {
  std::vector<instance_view> out;
  std::lock_guard<std::mutex> guard{mtx_};
  // Ids sort by creation time.
  for (auto& [id, x] : by_id_)
    if (x->adapter == adapter)
      out.push_back(instance_view{x->id, x->peer, x->name, x->connected_ms,
                                  x->credit.load(), x->in_flight.load(),
                                  x->done.load(), x->last_heartbeat_ms.load()});
  return out;
}

size_t instance_board::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return by_id_.size();
}

} // namespace ns
