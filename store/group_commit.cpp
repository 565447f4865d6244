#include "store/group_commit.hpp"

#include <vector>

namespace ns::store {

group_commit::group_commit(db& database, size_t max_batch_writes,
                           size_t max_pending_writes)
  : db_(database),
    max_batch_(max_batch_writes),
    max_pending_(max_pending_writes),
    thread_([this] { run(); }) {
}

group_commit::~group_commit() {
  stop();
}

bool group_commit::submit(write_batch batch, completion done) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (stopping_ || queue_.size() >= max_pending_)
      return false;
    queue_.push_back(item{std::move(batch), std::move(done)});
  }
  cv_.notify_one();
  return true;
}

void group_commit::stop() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable())
    thread_.join();
}

group_commit::stats group_commit::snapshot() const {
  return stats{commits_.load(), batches_.load(), failures_.load()};
}

size_t group_commit::pending() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return queue_.size();
}

void group_commit::run() {
  std::vector<item> taken;
  std::vector<const write_batch*> views;
  for (;;) {
    {
      std::unique_lock<std::mutex> guard{mtx_};
      cv_.wait(guard, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty())
        return; // stopping, and everything queued has been written
      auto n = std::min(queue_.size(), max_batch_);
      taken.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        taken.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    views.clear();
    for (auto& x : taken)
      views.push_back(&x.batch);
    auto err = db_.write_all(views, true);
    commits_.fetch_add(1, std::memory_order_relaxed);
    batches_.fetch_add(taken.size(), std::memory_order_relaxed);
    if (err)
      failures_.fetch_add(1, std::memory_order_relaxed);
    for (auto& x : taken)
      if (x.done)
        x.done(err);
    taken.clear();
  }
}

} // namespace ns::store
