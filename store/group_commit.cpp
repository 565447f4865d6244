#include "store/group_commit.hpp"

#include <unordered_map>
#include <vector>

#include "config/error.hpp"
#include "config/log.hpp"
#include "config/thread_name.hpp"

namespace ns::store {

group_commit::group_commit(db& database, size_t max_batch_writes,
                           size_t max_pending_writes,
                           std::chrono::microseconds commit_interval,
                           std::chrono::milliseconds resume_backoff_max)
  : db_(database), max_batch_(max_batch_writes),
    max_pending_(max_pending_writes), interval_(commit_interval),
    resume_max_(resume_backoff_max), thread_([this] {
      name_this_thread("ns.commit");
      run();
    }) {
  db_.on_fault([this] {
    {
      std::lock_guard<std::mutex> lock{mtx_};
      fault_seen_ = true;
    }
    cv_.notify_one();
  });
}

group_commit::~group_commit() {
  stop();
}

bool group_commit::submit(write_batch batch, completion done) {
  return enqueue(item{std::move(batch), std::move(done), {}, {}, {}});
}

bool group_commit::submit(write_batch batch, guard g, guarded_completion done) {
  return enqueue(item{std::move(batch), {}, std::move(g), std::move(done), {}});
}

bool group_commit::enqueue(item x) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock{mtx_};
    if (stopping_ || queue_.size() >= max_pending_)
      return false;
    queue_.push_back(std::move(x));
    wake = queue_.size() == wake_at_;
  }
  if (wake)
    cv_.notify_one();
  return true;
}

void group_commit::check_guards(std::vector<item>& items) {
  // Keys claimed earlier in this same commit are not in RocksDB yet.
  std::unordered_map<std::string, std::string> claimed;
  for (auto& x : items) {
    if (!x.check)
      continue;
    auto& g = *x.check;
    std::string id;
    id.push_back(static_cast<char>(g.family));
    id += g.key;
    std::optional<std::string> existing;
    if (auto i = claimed.find(id); i != claimed.end()) {
      existing = i->second;
    } else if (auto v = db_.get(g.family, g.key); v && v->has_value()) {
      existing = std::move(**v);
    }
    if (existing && g.blocks(*existing)) {
      x.blocked_by = std::move(existing);
      continue;
    }
    for (auto& op : x.batch.ops)
      if (op.family == g.family && op.key == g.key && !op.erase)
        claimed[id] = op.value;
  }
}

void group_commit::on_commit_end(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock{mtx_};
  commit_end_ = std::move(fn);
}

void group_commit::stop() {
  // Returns only once a hook already running is done with us.
  db_.on_fault({});
  {
    std::lock_guard<std::mutex> lock{mtx_};
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable())
    thread_.join();
}

group_commit::stats group_commit::snapshot() const {
  return stats{commits_.load(), batches_.load(), failures_.load()};
}

bool group_commit::writable() const noexcept {
  return db_.writable();
}

size_t group_commit::pending() const {
  std::lock_guard<std::mutex> lock{mtx_};
  return queue_.size();
}

void group_commit::pace(std::unique_lock<std::mutex>& lock) {
  // Wait for as many writes as the last commit carried, at most until the
  // interval since its start has passed. A lone writer (the last commit
  // carried one) goes at once; clients that each wait for their answer go
  // as soon as all of them have sent their next write; writes that keep
  // arriving share one fsync per interval; under load a commit takes longer
  // than the interval and nothing waits.
  auto want = std::min(last_writes_, max_batch_);
  if (interval_.count() > 0 && want > 1 && queue_.size() < want) {
    wake_at_ = want;
    cv_.wait_until(lock, last_start_ + interval_, [this, want] {
      return stopping_ || queue_.size() >= want;
    });
    wake_at_ = 1;
  }
  last_start_ = std::chrono::steady_clock::now();
}

void group_commit::run() {
  std::vector<item> taken;
  std::vector<const write_batch*> views;
  std::function<void()> commit_end;
  for (;;) {
    if (!db_.writable()) {
      if (!serve_fault(taken))
        return;
      continue;
    }
    {
      std::unique_lock<std::mutex> lock{mtx_};
      cv_.wait(lock, [this] {
        return stopping_ || !queue_.empty() || fault_seen_;
      });
      fault_seen_ = false;
      if (queue_.empty()) {
        if (stopping_)
          return; // everything queued has been written
        continue; // the store failed meanwhile
      }
      pace(lock);
      auto n = std::min(queue_.size(), max_batch_);
      last_writes_ = n;
      taken.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        taken.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      commit_end = commit_end_;
    }
    check_guards(taken);
    views.clear();
    for (auto& x : taken)
      if (!x.blocked_by)
        views.push_back(&x.batch);
    auto err = views.empty() ? caf::error{} : db_.write_all(views, true);
    commits_.fetch_add(1, std::memory_order_relaxed);
    batches_.fetch_add(taken.size(), std::memory_order_relaxed);
    if (err)
      failures_.fetch_add(1, std::memory_order_relaxed);
    for (auto& x : taken) {
      if (x.done)
        x.done(err);
      else if (x.guarded_done)
        x.guarded_done(x.blocked_by ? caf::error{} : err,
                       std::move(x.blocked_by));
    }
    taken.clear();
    if (commit_end)
      commit_end();
  }
}

bool group_commit::serve_fault(std::vector<item>& taken) {
  using namespace std::chrono;
  if (!in_fault_) {
    in_fault_ = true;
    resume_wait_ = std::min(milliseconds(100), resume_max_);
    resume_at_ = steady_clock::now() + resume_wait_;
  }
  std::function<void()> commit_end;
  {
    std::unique_lock<std::mutex> lock{mtx_};
    fault_seen_ = false;
    cv_.wait_until(lock, resume_at_, [this] {
      return stopping_ || !queue_.empty();
    });
    if (queue_.empty() && stopping_)
      return false;
    // Whatever waits is refused now: a client learns at once that it must
    // retry, instead of holding a connection for an unknown time.
    while (!queue_.empty()) {
      taken.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    commit_end = commit_end_;
  }
  if (!taken.empty()) {
    auto err = make_error(ec::not_ready,
                          "the store cannot write now (" + db_.fault()
                            + "); nothing was accepted, "
                              "retry later");
    batches_.fetch_add(taken.size(), std::memory_order_relaxed);
    failures_.fetch_add(1, std::memory_order_relaxed);
    for (auto& x : taken) {
      if (x.done)
        x.done(err);
      else if (x.guarded_done)
        x.guarded_done(err, std::nullopt);
    }
    taken.clear();
    if (commit_end)
      commit_end();
  }
  // Also after answering: writes that never stop must not starve resuming.
  if (steady_clock::now() < resume_at_)
    return true;
  if (auto err = db_.resume()) {
    resume_wait_ = std::min(resume_wait_ * 2, resume_max_);
    log::debug() << "store: resume failed (" << message_of(err)
                 << "); next try in " << resume_wait_.count() << " ms";
    resume_at_ = steady_clock::now() + resume_wait_;
  } else {
    in_fault_ = false;
  }
  return true;
}

} // namespace ns::store
