#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "config/options.hpp"

namespace rocksdb {
class Env;
} // namespace rocksdb

namespace ns::store {

/// The column families of ns. `meta` is RocksDB's default family.
enum class cf : uint8_t {
  meta,
  clients,
  adapters,
  jobs,
  due,
  idempotency,
  callbacks,
  /// Ids of non-final jobs: what recovery rebuilds.
  active,
  /// Message templates of adapters, every version.
  templates,
};

inline constexpr size_t cf_count = 9;

const char* to_string(cf x);

/// Writes that land together or not at all.
struct write_batch {
  struct op {
    cf family;
    std::string key;
    std::string value;
    bool erase;
  };
  std::vector<op> ops;

  void put(cf family, std::string key, std::string value) {
    ops.push_back(op{family, std::move(key), std::move(value), false});
  }
  void erase(cf family, std::string key) {
    ops.push_back(op{family, std::move(key), {}, true});
  }
  bool empty() const noexcept {
    return ops.empty();
  }
};

/// Decides during compaction which records are dropped: retention without a
/// scan loop. Called on RocksDB's background threads; must be thread-safe and
/// cheap.
using drop_fn
  = std::function<bool(std::string_view key, std::string_view value)>;

/// The compaction filters of the families that have one.
struct retention {
  drop_fn jobs;
  drop_fn idempotency;
  drop_fn callbacks;
};

/// The RocksDB database of one node. Nothing outside store/ sees RocksDB.
/// Thread-safe: reads from any thread; writes normally go through
/// group_commit so that one fsync serves many writers.
class db {
public:
  /// Opens (creating if needed) the database at `opts.path`. A directory held
  /// by another process is an ec::store_locked error.
  static caf::expected<std::unique_ptr<db>>
  open(const config::store_options& opts, retention filters = {});

  /// The same, with RocksDB's file I/O going through `env` (not owned; it
  /// must outlive the db): tests put a simulated disk under the real open.
  static caf::expected<std::unique_ptr<db>>
  open(const config::store_options& opts, retention filters, rocksdb::Env* env);

  ~db();
  db(const db&) = delete;
  db& operator=(const db&) = delete;

  /// The value under `key`, or nullopt when there is none.
  caf::expected<std::optional<std::string>> get(cf family,
                                                std::string_view key) const;

  /// Calls `fn(key, value)` for each key starting with `prefix`, in key
  /// order, until `fn` returns false. With `after`, starts past that key.
  caf::error
  scan(cf family, std::string_view prefix,
       const std::function<bool(std::string_view, std::string_view)>& fn,
       std::string_view after = {}) const;

  /// Writes `batch` atomically; with `sync` it is fsync'd before returning.
  caf::error write(const write_batch& batch, bool sync = true);

  /// Writes many batches as one atomic, optionally fsync'd, RocksDB write.
  caf::error write_all(const std::vector<const write_batch*>& batches,
                       bool sync);

  /// Flushes memtables to disk (used at shutdown to shorten the next start).
  caf::error flush();

  /// Compacts every family now (tests of retention; operators' maintenance).
  caf::error compact();

  /// False from the moment a write or RocksDB's background work failed
  /// (e.g. a full disk) until resume() succeeds: RocksDB refuses every
  /// write meanwhile. Lock-free, callable from any thread.
  bool writable() const noexcept;

  /// What stops writes, without file names (it may reach HTTP clients):
  /// e.g. "no space left on device". Empty while writable.
  std::string fault() const;

  /// Asks RocksDB to resume writing after a fault (DB::Resume). Succeeds
  /// once the cause is gone; the first success after a fault is logged.
  /// The error is RocksDB's own text, file names and all: for the log.
  caf::error resume();

  /// Called, on whatever thread found it, when a fault arises; must only
  /// wake someone up (RocksDB may be inside a background job). Empty
  /// function: none.
  void on_fault(std::function<void()> fn);

  const std::string& path() const noexcept;

private:
  struct impl;
  explicit db(std::unique_ptr<impl> ptr);
  std::unique_ptr<impl> impl_;
};

} // namespace ns::store
