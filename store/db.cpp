#include "store/db.hpp"

#include <filesystem>

#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include "config/error.hpp"

namespace ns::store {

namespace {

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

} // namespace

const char* to_string(cf x) {
  return cf_names[static_cast<size_t>(x)];
}

struct db::impl {
  std::string path;
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
  db_opts.create_if_missing = true;
  db_opts.create_missing_column_families = true;
  db_opts.max_background_jobs = 2;
  db_opts.keep_log_file_num = 5;
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
  if (!status.ok())
    return to_error(status, "write failed");
  return {};
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

const std::string& db::path() const noexcept {
  return impl_->path;
}

} // namespace ns::store
