#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <caf/error.hpp>

#include "store/db.hpp"

namespace ns::store {

/// Turns many small writes into one fsync'd RocksDB write. Writers submit a
/// batch with a completion; one thread takes everything that queued up while
/// the previous fsync ran, writes it as one WriteBatch with sync=true, and only
/// then runs each completion. Under load one fsync serves many writers; alone,
/// a writer waits for just its own.
class group_commit {
public:
  /// Runs on the commit thread once the batch is durable (or failed). Must not
  /// block: post the answer elsewhere.
  using completion = std::function<void(const caf::error&)>;

  /// A key that must not exist yet for the batch to be written (e.g. an
  /// idempotency key). Checked on the commit thread, the only writer, so the
  /// check and the write cannot interleave with another writer's.
  struct guard {
    cf family;
    std::string key;
    /// Whether an existing value still blocks (e.g. not older than 24 h);
    /// when it does not, the batch overwrites it.
    std::function<bool(std::string_view existing)> blocks;
  };

  /// The outcome of a guarded write: `existing` holds the blocking value when
  /// the batch was not written because of it.
  using guarded_completion = std::function<void(
    const caf::error&, std::optional<std::string> existing)>;

  struct stats {
    uint64_t commits = 0; // fsync'd RocksDB writes
    uint64_t batches = 0; // submitted batches written
    uint64_t failures = 0;
  };

  /// `commit_interval` (store.commit_interval): a commit waits until as
  /// many writes are queued as the last one carried, but no longer than this
  /// after the last commit started, so that writes arriving meanwhile share
  /// one fsync. Each fsync costs CPU and device round trips whatever it
  /// carries; at moderate load committing the moment the last fsync ends
  /// spends them on one or two writes each. 0: no wait.
  ///
  /// While the store cannot write (db::writable(), e.g. a full disk), every
  /// queued write is answered at once with 503 not_ready, and db::resume()
  /// is tried after 100ms, then after twice as long each time, up to
  /// `resume_backoff_max` (store.resume_backoff_max).
  group_commit(db& database, size_t max_batch_writes, size_t max_pending_writes,
               std::chrono::microseconds commit_interval = {},
               std::chrono::milliseconds resume_backoff_max
               = std::chrono::seconds(10));
  ~group_commit();
  group_commit(const group_commit&) = delete;
  group_commit& operator=(const group_commit&) = delete;

  /// Queues `batch`. Returns false, without calling `done`, when the queue is
  /// full or the writer stopped: the caller answers "overloaded".
  [[nodiscard]] bool submit(write_batch batch, completion done);

  /// Queues `batch`, written only if `g` does not block it.
  [[nodiscard]] bool submit(write_batch batch, guard g,
                            guarded_completion done);

  /// Runs on the commit thread after the completions of each fsync'd write,
  /// so that a caller can hand on in one message what those completions
  /// collected. Set it before the first submit that relies on it; whatever
  /// it refers to must outlive stop().
  void on_commit_end(std::function<void()> fn);

  /// Writes everything already queued, then stops the thread. Idempotent.
  void stop();

  stats snapshot() const;

  /// Whether writes can succeed now (false while the store is failed).
  bool writable() const noexcept;

  /// Writes queued and not yet durable.
  size_t pending() const;

private:
  struct item {
    write_batch batch;
    completion done;
    std::optional<guard> check;
    guarded_completion guarded_done;
    std::optional<std::string> blocked_by;
  };

  void run();
  /// Waits, under `lock`, until the next commit may start.
  void pace(std::unique_lock<std::mutex>& lock);
  bool enqueue(item x);
  void check_guards(std::vector<item>& items);
  /// One round while the store is failed: answers what is queued, or tries
  /// to resume when due. False once stopping with nothing left to answer.
  bool serve_fault(std::vector<item>& taken);

  db& db_;
  const size_t max_batch_;
  const size_t max_pending_;
  const std::chrono::microseconds interval_;
  const std::chrono::milliseconds resume_max_;
  // Commit thread only.
  std::chrono::steady_clock::time_point last_start_{};
  size_t last_writes_ = 0;
  // Commit thread only: the resume schedule of the current fault.
  bool in_fault_ = false;
  std::chrono::milliseconds resume_wait_{};
  std::chrono::steady_clock::time_point resume_at_{};
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<item> queue_;
  /// The queue length the commit thread waits for: 1 when idle, the last
  /// commit's count while it paces. Only the writer that reaches it wakes
  /// the thread; any other wake-up would cost a context switch for nothing.
  size_t wake_at_ = 1;
  std::function<void()> commit_end_;
  bool stopping_ = false;
  /// Set by the store's fault hook: wakes the idle commit thread, so that
  /// resuming starts even when no write comes.
  bool fault_seen_ = false;
  std::atomic<uint64_t> commits_{0};
  std::atomic<uint64_t> batches_{0};
  std::atomic<uint64_t> failures_{0};
  std::thread thread_;
};

} // namespace ns::store
