#include "store/db.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <mutex>

#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/listener.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include "config/error.hpp"
#include "config/log.hpp"
#include "config/log_throttle.hpp"

namespace ns::store {

namespace {

/// Room beyond the memtables' contents that a resume needs: a new MANIFEST,
/// a new WAL, the OPTIONS file.
constexpr uint64_t resume_margin_bytes = 4u << 20;

constexpr const char* cf_names[cf_count] = {
  "default", // RocksDB's kDefaultColumnFamilyName
  "clients",     "adapters",  "jobs",   "due",
  "idempotency", "callbacks", "active", "templates",
};

/// Adapts a drop_fn to RocksDB. One instance per family, shared by all
/// compactions (hence stateless apart from the function).
class drop_filter final : public rocksdb::CompactionFilter {
public:
  explicit drop_filter(drop_fn fn, const char* name)
    : fn_(std::move(fn)), name_(name) {
  }

  bool Filter(int, const rocksdb::Slice& key, const rocksdb::Slice& value,
              std::string*, bool*) const override {
    return fn_({key.data(), key.size()}, {value.data(), value.size()});
  }

  const char* Name() const override {
    return name_;
  }

private:
  drop_fn fn_;
  const char* name_;
};

caf::error to_error(const rocksdb::Status& st, const std::string& what) {
  return make_error(ec::store_failure, what + ": " + st.ToString());
}

/// What went wrong, in words that name no file: RocksDB's own text holds
/// paths, and this one may reach HTTP clients.
std::string plain(const rocksdb::Status& st) {
  if (st.IsNoSpace())
    return "no space left on device";
  if (st.IsCorruption())
    return "data corruption";
  if (st.IsIOError())
    return "I/O error";
  return "storage error";
}

/// Failures that stop RocksDB's writes until DB::Resume.
bool is_fault(const rocksdb::Status& st) {
  return st.IsIOError() || st.IsCorruption();
}

const char* to_string(rocksdb::BackgroundErrorReason x) {
  using r = rocksdb::BackgroundErrorReason;
  switch (x) {
    case r::kFlush:
    case r::kFlushNoWAL: return "a flush";
    case r::kCompaction: return "a compaction";
    case r::kWriteCallback: return "a write";
    case r::kMemTable: return "a memtable insert";
    case r::kManifestWrite:
    case r::kManifestWriteNoWAL: return "a MANIFEST write";
  }
  return "background work";
}

/// RocksDB's own log lines go to nsd's log (at debug; a fatal one as an
/// error) instead of a LOG file of RocksDB's in store.path: that logger
/// (EnvLogger) aborts nsd on a full disk in Debian's build, which keeps
/// RocksDB's assertions. Once one of its appends failed with ENOSPC, its
/// next line trips `sync_without_flush_called_` in WritableFileWriter, from
/// whatever thread logs (a flush, the write path, DB::Open). What an
/// operator must know, health logs itself, once.
class log_bridge final : public rocksdb::Logger {
public:
  log_bridge() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {
  }

  using rocksdb::Logger::Logv;

  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }

  void Logv(const rocksdb::InfoLogLevel level, const char* format,
            va_list ap) override {
    // The header is the options dump of every open.
    if (level < GetInfoLogLevel()
        || level == rocksdb::InfoLogLevel::HEADER_LEVEL)
      return;
    auto lvl = level >= rocksdb::InfoLogLevel::FATAL_LEVEL ? log::level::error
                                                           : log::level::debug;
    if (!log::enabled(lvl))
      return;
    char text[1024];
    std::vsnprintf(text, sizeof(text), format, ap);
    log::line{lvl} << "rocksdb: " << text;
  }
};

/// Whether the store takes writes. Shared by the write path, RocksDB's
/// background threads (through fault_listener) and resume().
class health {
public:
  explicit health(std::string path) : path_(std::move(path)) {
  }

  bool writable() const noexcept {
    return ok_.load(std::memory_order_acquire);
  }

  std::string reason() const {
    std::lock_guard<std::mutex> lock{mtx_};
    return ok_.load() ? std::string{} : reason_;
  }

  uint64_t generation() const {
    std::lock_guard<std::mutex> lock{mtx_};
    return generation_;
  }

  /// The first failure of an outage is logged, with what to do; the wake
  /// hook runs under the lock so that on_wake({}) waits for it.
  void fail(const rocksdb::Status& st, const char* during) {
    std::lock_guard<std::mutex> lock{mtx_};
    ++generation_;
    if (!ok_.load())
      return;
    ok_.store(false, std::memory_order_release);
    reason_ = plain(st);
    since_ = std::chrono::steady_clock::now();
    log::error() << "store: " << during << " failed (" << st.ToString()
                 << "); every write is refused with 503 and /readyz answers "
                    "503 until writes work again. "
                 << (st.IsNoSpace() ? "Free space on the filesystem of"
                                    : "Check the device and the filesystem of")
                 << " store.path (" << path_
                 << "): nsd retries on its own and says here when it "
                    "accepts writes again, no restart needed";
    if (wake_)
      wake_();
  }

  /// Writable again, unless a failure came after `gen` was read (the
  /// resume that succeeded may predate it).
  bool recovered(uint64_t gen) {
    std::lock_guard<std::mutex> lock{mtx_};
    if (ok_.load())
      return true;
    if (gen != generation_)
      return false;
    ok_.store(true, std::memory_order_release);
    fatal_logged_ = false;
    auto down = std::chrono::duration<double>(std::chrono::steady_clock::now()
                                              - since_);
    char secs[32];
    std::snprintf(secs, sizeof(secs), "%.1f", down.count());
    log::info() << "store: writes work again after " << secs
                << " s; nsd accepts writes again";
    return true;
  }

  /// Said once per outage: only a restart (a reopen) helps.
  void fatal(const rocksdb::Status& st) {
    std::lock_guard<std::mutex> lock{mtx_};
    if (fatal_logged_)
      return;
    fatal_logged_ = true;
    log::error() << "store: RocksDB cannot resume from this failure ("
                 << st.ToString()
                 << "); writes stay refused: restart nsd once the cause is "
                    "fixed (everything answered 2xx is on disk)";
  }

  void on_wake(std::function<void()> fn) {
    std::lock_guard<std::mutex> lock{mtx_};
    wake_ = std::move(fn);
  }

private:
  const std::string path_;
  std::atomic<bool> ok_{true};
  mutable std::mutex mtx_;
  uint64_t generation_ = 0;
  std::string reason_;
  std::chrono::steady_clock::time_point since_;
  std::function<void()> wake_;
  bool fatal_logged_ = false;
};

/// Turns RocksDB's background errors (a failed flush, compaction, WAL or
/// MANIFEST write) into a fault of the store, and keeps RocksDB from
/// recovering on its own: resume() is the one way back, on a schedule
/// that group_commit owns and logs.
class fault_listener final : public rocksdb::EventListener {
public:
  explicit fault_listener(std::shared_ptr<health> h) : health_(std::move(h)) {
  }

  void OnBackgroundError(rocksdb::BackgroundErrorReason reason,
                         rocksdb::Status* st) override {
    if (st != nullptr && !st->ok())
      health_->fail(*st, to_string(reason));
  }

  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status,
                            bool* auto_recovery) override {
    if (auto_recovery != nullptr)
      *auto_recovery = false;
  }

private:
  std::shared_ptr<health> health_;
};

} // namespace

const char* to_string(cf x) {
  return cf_names[static_cast<size_t>(x)];
}

struct db::impl {
  std::string path;
  uint64_t write_buffer_bytes = 0;
  std::shared_ptr<health> state;
  rocksdb::Env* env = nullptr;
  std::unique_ptr<drop_filter> jobs_filter;
  std::unique_ptr<drop_filter> idempotency_filter;
  std::unique_ptr<drop_filter> callbacks_filter;
  std::unique_ptr<rocksdb::DB> rdb;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;

  rocksdb::ColumnFamilyHandle* handle(cf x) const {
    return handles[static_cast<size_t>(x)];
  }

  ~impl() {
    if (rdb) {
      for (auto* h : handles)
        if (h != nullptr)
          rdb->DestroyColumnFamilyHandle(h);
      rdb->Close();
    }
  }
};

db::db(std::unique_ptr<impl> ptr) : impl_(std::move(ptr)) {
}

db::~db() = default;

caf::expected<std::unique_ptr<db>> db::open(const config::store_options& opts,
                                            retention filters) {
  return open(opts, std::move(filters), nullptr);
}

caf::expected<std::unique_ptr<db>> db::open(const config::store_options& opts,
                                            retention filters,
                                            rocksdb::Env* env) {
  std::error_code fs_err;
  std::filesystem::create_directories(opts.path, fs_err);
  if (fs_err)
    return make_error(ec::store_failure,
                      "cannot create store.path '" + opts.path
                        + "': " + fs_err.message());
  rocksdb::ColumnFamilyOptions cf_opts;
  cf_opts.write_buffer_size = opts.write_buffer_bytes.value;
  cf_opts.max_write_buffer_number = 2;
  rocksdb::DBOptions db_opts;
  if (env != nullptr)
    db_opts.env = env;
  db_opts.create_if_missing = true;
  db_opts.create_missing_column_families = true;
  db_opts.max_background_jobs = 2;
  db_opts.info_log = std::make_shared<log_bridge>();
  // One way back from a failed write: resume(), driven by group_commit.
  // RocksDB's own retries would race with it and log nothing of ours.
  db_opts.max_bgerror_resume_count = 0;
  // Families a newer nsd added must still be opened (RocksDB insists).
  std::vector<std::string> existing;
  rocksdb::DB::ListColumnFamilies(db_opts, opts.path, &existing);
  auto st = std::make_unique<impl>();
  if (filters.jobs)
    st->jobs_filter = std::make_unique<drop_filter>(std::move(filters.jobs),
                                                    "ns.jobs.retention");
  if (filters.idempotency)
    st->idempotency_filter = std::make_unique<drop_filter>(
      std::move(filters.idempotency), "ns.idempotency.window");
  if (filters.callbacks)
    st->callbacks_filter = std::make_unique<drop_filter>(
      std::move(filters.callbacks), "ns.callbacks.retention");
  // Files untouched for a day are compacted anyway, so retention applies
  // even when nothing new is written.
  cf_opts.periodic_compaction_seconds = 24 * 3600;
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (auto* name : cf_names) {
    auto o = cf_opts;
    if (std::string_view{name} == "jobs")
      o.compaction_filter = st->jobs_filter.get();
    else if (std::string_view{name} == "idempotency")
      o.compaction_filter = st->idempotency_filter.get();
    else if (std::string_view{name} == "callbacks")
      o.compaction_filter = st->callbacks_filter.get();
    descs.emplace_back(name, o);
  }
  for (auto& name : existing) {
    bool known = false;
    for (auto* n : cf_names)
      known = known || name == n;
    if (!known)
      descs.emplace_back(name, cf_opts);
  }
  st->path = opts.path;
  st->write_buffer_bytes = opts.write_buffer_bytes.value;
  st->state = std::make_shared<health>(opts.path);
  st->env = db_opts.env;
  db_opts.listeners.push_back(std::make_shared<fault_listener>(st->state));
  rocksdb::DB* raw = nullptr;
  auto status
    = rocksdb::DB::Open(db_opts, opts.path, descs, &st->handles, &raw);
  if (!status.ok()) {
    auto text = status.ToString();
    if (status.IsIOError() && text.find("lock") != std::string::npos)
      return make_error(ec::store_locked,
                        "store.path '" + opts.path
                          + "' is in use by another process (RocksDB LOCK "
                            "held): is another nsd running on it? ("
                          + text + ")");
    if (status.IsNoSpace())
      return make_error(ec::store_failure,
                        "cannot open store at '" + opts.path
                          + "': no space left on device; free space on "
                            "that filesystem and start nsd again ("
                          + text + ")");
    return to_error(status, "cannot open store at '" + opts.path + "'");
  }
  st->rdb.reset(raw);
  return std::unique_ptr<db>{new db(std::move(st))};
}

caf::expected<std::optional<std::string>> db::get(cf family,
                                                  std::string_view key) const {
  std::string value;
  auto status = impl_->rdb->Get(rocksdb::ReadOptions{}, impl_->handle(family),
                                rocksdb::Slice{key.data(), key.size()}, &value);
  if (status.IsNotFound())
    return std::optional<std::string>{};
  if (!status.ok())
    return to_error(status, "read failed");
  return std::optional<std::string>{std::move(value)};
}

caf::error
db::scan(cf family, std::string_view prefix,
         const std::function<bool(std::string_view, std::string_view)>& fn,
         std::string_view after) const {
  std::unique_ptr<rocksdb::Iterator> it{
    impl_->rdb->NewIterator(rocksdb::ReadOptions{}, impl_->handle(family))};
  rocksdb::Slice pre{prefix.data(), prefix.size()};
  if (!after.empty() && after > prefix) {
    rocksdb::Slice from{after.data(), after.size()};
    it->Seek(from);
    if (it->Valid() && it->key() == from)
      it->Next();
  } else {
    it->Seek(pre);
  }
  for (; it->Valid() && it->key().starts_with(pre); it->Next()) {
    auto k = it->key();
    auto v = it->value();
    if (!fn({k.data(), k.size()}, {v.data(), v.size()}))
      break;
  }
  if (!it->status().ok())
    return to_error(it->status(), "scan failed");
  return {};
}

caf::error db::write(const write_batch& batch, bool sync) {
  return write_all({&batch}, sync);
}

caf::error db::write_all(const std::vector<const write_batch*>& batches,
                         bool sync) {
  // Sized up front: a group commit joins thousands of small writes, and a
  // growing batch would copy itself over and over.
  size_t bytes = 64;
  for (auto* batch : batches)
    for (auto& op : batch->ops)
      bytes += op.key.size() + op.value.size() + 16;
  rocksdb::WriteBatch wb{bytes};
  for (auto* batch : batches) {
    for (auto& op : batch->ops) {
      auto* h = impl_->handle(op.family);
      auto st = op.erase ? wb.Delete(h, op.key) : wb.Put(h, op.key, op.value);
      if (!st.ok())
        return to_error(st, "cannot build write batch");
    }
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  auto status = impl_->rdb->Write(wo, &wb);
  if (status.ok())
    return {};
  // RocksDB normally reports its own failure to the listener as well; the
  // write path marks it too, so that a fault never goes unnoticed.
  if (is_fault(status))
    impl_->state->fail(status, "a write");
  return make_error(ec::store_failure,
                    "the store cannot write: " + plain(status)
                      + "; nothing was written");
}

caf::error db::flush() {
  rocksdb::FlushOptions fo;
  fo.wait = true;
  auto status = impl_->rdb->Flush(fo, impl_->handles);
  if (!status.ok())
    return to_error(status, "flush failed");
  return {};
}

caf::error db::compact() {
  for (auto* h : impl_->handles) {
    rocksdb::CompactRangeOptions co;
    co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    auto status = impl_->rdb->CompactRange(co, h, nullptr, nullptr);
    if (!status.ok())
      return to_error(status, "compaction failed");
  }
  return {};
}

bool db::writable() const noexcept {
  return impl_->state->writable();
}

std::string db::fault() const {
  return impl_->state->reason();
}

caf::error db::resume() {
  // A resume flushes every memtable and writes a new MANIFEST. One that
  // runs out of space halfway may fail a memtable switch, which RocksDB
  // counts as fatal: only a reopen clears that. So wait for room first.
  // Room for both memtables at their configured size: a resume tried with
  // less was seen to hang or to fail a memtable switch (fatal) when a flush
  // was failing too.
  auto need = 2 * impl_->write_buffer_bytes + resume_margin_bytes;
  uint64_t free = 0;
  if (impl_->env->GetFreeSpace(impl_->path, &free).ok() && free < need) {
    // The operator freed some space, maybe not enough: say how much is.
    static log::throttle waiting{std::chrono::seconds(60)};
    if (uint64_t n = 0; free > 0 && waiting.admit(n))
      log::warning() << "store: resuming writes waits for room: "
                     << (free >> 20) << " MiB free on the filesystem of "
                     << "store.path, " << ((need >> 20) + 1)
                     << " MiB needed (the memtables to write out, plus "
                     << (resume_margin_bytes >> 20) << " MiB)";
    return make_error(ec::store_failure,
                      std::to_string(free) + " bytes free, waiting for "
                        + std::to_string(need));
  }
  auto gen = impl_->state->generation();
  auto status = impl_->rdb->Resume();
  if (!status.ok()) {
    if (status.severity() >= rocksdb::Status::Severity::kFatalError)
      impl_->state->fatal(status);
    return make_error(ec::store_failure, status.ToString());
  }
  if (!impl_->state->recovered(gen))
    return make_error(ec::store_failure, impl_->state->reason());
  return {};
}

void db::on_fault(std::function<void()> fn) {
  impl_->state->on_wake(std::move(fn));
}

const std::string& db::path() const noexcept {
  return impl_->path;
}

} // namespace ns::store
