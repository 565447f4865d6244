// A power cut, simulated under RocksDB: what the group commit answered as
// durable must be there after it. kill -9 cannot show this (the kernel keeps
// the page cache); a file system that forgets every byte not synced can.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include "config/error.hpp"
#include "store/db.hpp"
#include "store/group_commit.hpp"

using namespace ns;

namespace {

namespace fs = std::filesystem;

std::string dir_of(const std::string& file) {
  return fs::path{file}.parent_path().lexically_normal().string();
}

std::string normal(const std::string& dir) {
  auto p = fs::path{dir}.lexically_normal().string();
  while (p.size() > 1 && p.back() == '/')
    p.pop_back();
  return p;
}

/// A disk with a volatile cache: it remembers, per file written through
/// it, how many bytes a Sync/Fsync made durable, and which files were
/// created since their directory was last fsync'd. crash() freezes it (from
/// then on nothing reaches the disk: appends, syncs, renames and deletes are
/// accepted and dropped); settle() then makes the disk what a power cut
/// leaves: every file cut to its synced length, every file whose directory
/// entry was never fsync'd gone. Renames count as durable at once (a
/// simplification: RocksDB fsyncs the directory after each one anyway).
class volatile_disk : public rocksdb::FileSystemWrapper {
public:
  explicit volatile_disk(std::shared_ptr<rocksdb::FileSystem> base)
    : FileSystemWrapper(std::move(base)) {
  }

  static const char* kClassName() {
    return "ns.volatile_disk";
  }
  const char* Name() const override {
    return kClassName();
  }

  rocksdb::IOStatus NewWritableFile(const std::string& name,
                                    const rocksdb::FileOptions& opts,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override {
    bool existed = fs::exists(name);
    auto st = target()->NewWritableFile(name, opts, r, dbg);
    if (!st.ok())
      return st;
    {
      std::lock_guard<std::mutex> lock{mtx_};
      files_[name] = file_state{};
      if (!existed)
        unlinked_.insert(name);
    }
    *r = std::make_unique<file>(std::move(*r), *this, name);
    return st;
  }

  rocksdb::IOStatus
  ReopenWritableFile(const std::string& name, const rocksdb::FileOptions& opts,
                     std::unique_ptr<rocksdb::FSWritableFile>* r,
                     rocksdb::IODebugContext* dbg) override {
    auto st = target()->ReopenWritableFile(name, opts, r, dbg);
    if (!st.ok())
      return st;
    {
      std::lock_guard<std::mutex> lock{mtx_};
      if (!files_.count(name)) {
        std::error_code ec;
        auto size = fs::file_size(name, ec);
        files_[name] = file_state{ec ? 0 : size, ec ? 0 : size};
      }
    }
    *r = std::make_unique<file>(std::move(*r), *this, name);
    return st;
  }

  rocksdb::IOStatus NewDirectory(const std::string& name,
                                 const rocksdb::IOOptions& io,
                                 std::unique_ptr<rocksdb::FSDirectory>* r,
                                 rocksdb::IODebugContext* dbg) override {
    auto st = target()->NewDirectory(name, io, r, dbg);
    if (st.ok())
      *r = std::make_unique<directory>(std::move(*r), *this, normal(name));
    return st;
  }

  rocksdb::IOStatus RenameFile(const std::string& src, const std::string& dst,
                               const rocksdb::IOOptions& io,
                               rocksdb::IODebugContext* dbg) override {
    std::lock_guard<std::mutex> lock{mtx_};
    if (crashed_)
      return rocksdb::IOStatus::OK();
    auto st = target()->RenameFile(src, dst, io, dbg);
    if (!st.ok())
      return st;
    if (auto i = files_.find(src); i != files_.end()) {
      files_[dst] = i->second;
      files_.erase(i);
    } else {
      files_.erase(dst);
    }
    unlinked_.erase(dst);
    if (unlinked_.erase(src) > 0)
      unlinked_.insert(dst);
    return st;
  }

  rocksdb::IOStatus DeleteFile(const std::string& name,
                               const rocksdb::IOOptions& io,
                               rocksdb::IODebugContext* dbg) override {
    std::lock_guard<std::mutex> lock{mtx_};
    if (crashed_)
      return rocksdb::IOStatus::OK();
    files_.erase(name);
    unlinked_.erase(name);
    return target()->DeleteFile(name, io, dbg);
  }

  /// The power goes: nothing written from now on reaches the disk.
  void crash() {
    std::lock_guard<std::mutex> lock{mtx_};
    crashed_ = true;
  }

  bool crashed() const {
    std::lock_guard<std::mutex> lock{mtx_};
    return crashed_;
  }

  /// After the db is closed: the disk as the power cut left it, then on.
  /// Returns the bytes and files it dropped.
  std::pair<uint64_t, size_t> settle() {
    std::lock_guard<std::mutex> lock{mtx_};
    uint64_t bytes = 0;
    size_t gone = 0;
    for (auto& [name, f] : files_) {
      std::error_code ec;
      auto size = fs::file_size(name, ec);
      if (ec)
        continue;
      if (unlinked_.count(name)) {
        bytes += size;
        ++gone;
        fs::remove(name, ec);
      } else if (size > f.synced) {
        bytes += size - f.synced;
        fs::resize_file(name, f.synced, ec);
      }
    }
    files_.clear();
    unlinked_.clear();
    crashed_ = false;
    return {bytes, gone};
  }

private:
  struct file_state {
    uint64_t size = 0;
    uint64_t synced = 0;
  };

  class file final : public rocksdb::FSWritableFileOwnerWrapper {
  public:
    file(std::unique_ptr<rocksdb::FSWritableFile> f, volatile_disk& disk,
         std::string name)
      : FSWritableFileOwnerWrapper(std::move(f)), disk_(disk),
        name_(std::move(name)) {
    }

    rocksdb::IOStatus Append(const rocksdb::Slice& data,
                             const rocksdb::IOOptions& io,
                             rocksdb::IODebugContext* dbg) override {
      if (!disk_.grow(name_, data.size()))
        return rocksdb::IOStatus::OK();
      return target()->Append(data, io, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data,
                             const rocksdb::IOOptions& io,
                             const rocksdb::DataVerificationInfo& info,
                             rocksdb::IODebugContext* dbg) override {
      if (!disk_.grow(name_, data.size()))
        return rocksdb::IOStatus::OK();
      return target()->Append(data, io, info, dbg);
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data,
                                       uint64_t offset,
                                       const rocksdb::IOOptions& io,
                                       rocksdb::IODebugContext* dbg) override {
      if (!disk_.grow(name_, data.size()))
        return rocksdb::IOStatus::OK();
      return target()->PositionedAppend(data, offset, io, dbg);
    }
    rocksdb::IOStatus
    PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                     const rocksdb::IOOptions& io,
                     const rocksdb::DataVerificationInfo& info,
                     rocksdb::IODebugContext* dbg) override {
      if (!disk_.grow(name_, data.size()))
        return rocksdb::IOStatus::OK();
      return target()->PositionedAppend(data, offset, io, info, dbg);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& io,
                           rocksdb::IODebugContext* dbg) override {
      return disk_.sync(name_, [&] {
        return target()->Sync(io, dbg);
      });
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& io,
                            rocksdb::IODebugContext* dbg) override {
      return disk_.sync(name_, [&] {
        return target()->Fsync(io, dbg);
      });
    }
    // RangeSync (sync_file_range) writes data back but promises nothing
    // about a power cut: it makes nothing durable here.

  private:
    volatile_disk& disk_;
    std::string name_;
  };

  class directory final : public rocksdb::FSDirectoryWrapper {
  public:
    directory(std::unique_ptr<rocksdb::FSDirectory> d, volatile_disk& disk,
              std::string name)
      : FSDirectoryWrapper(std::move(d)), disk_(disk), name_(std::move(name)) {
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& io,
                            rocksdb::IODebugContext* dbg) override {
      return disk_.sync_dir(name_, [&] {
        return FSDirectoryWrapper::Fsync(io, dbg);
      });
    }
    rocksdb::IOStatus
    FsyncWithDirOptions(const rocksdb::IOOptions& io,
                        rocksdb::IODebugContext* dbg,
                        const rocksdb::DirFsyncOptions& o) override {
      return disk_.sync_dir(name_, [&] {
        return FSDirectoryWrapper::FsyncWithDirOptions(io, dbg, o);
      });
    }

  private:
    volatile_disk& disk_;
    std::string name_;
  };

  /// False once crashed: the bytes are dropped.
  bool grow(const std::string& name, size_t n) {
    std::lock_guard<std::mutex> lock{mtx_};
    if (crashed_)
      return false;
    files_[name].size += n;
    return true;
  }

  template <class F>
  rocksdb::IOStatus sync(const std::string& name, F real) {
    // Held across the real sync: crash() comes before or after it, whole.
    std::lock_guard<std::mutex> lock{mtx_};
    if (crashed_)
      return rocksdb::IOStatus::OK();
    auto st = real();
    if (st.ok())
      files_[name].synced = files_[name].size;
    return st;
  }

  template <class F>
  rocksdb::IOStatus sync_dir(const std::string& dir, F real) {
    std::lock_guard<std::mutex> lock{mtx_};
    if (crashed_)
      return rocksdb::IOStatus::OK();
    auto st = real();
    if (st.ok())
      for (auto i = unlinked_.begin(); i != unlinked_.end();)
        i = dir_of(*i) == dir ? unlinked_.erase(i) : std::next(i);
    return st;
  }

  mutable std::mutex mtx_;
  bool crashed_ = false;
  std::map<std::string, file_state> files_;
  /// Created, but their directory not fsync'd since.
  std::set<std::string> unlinked_;
};

struct PowerLoss : ::testing::Test {
  fs::path dir;
  config::store_options opts;
  std::shared_ptr<volatile_disk> disk;
  std::unique_ptr<rocksdb::Env> env;

  void SetUp() override {
    dir = fs::temp_directory_path()
      / ("ns_power_loss_" + std::to_string(::getpid()) + "_"
         + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    opts.path = dir.string();
    // Small memtables: flushes, new WAL files and SSTs happen during the
    // test, not only WAL appends.
    opts.write_buffer_bytes.value = 1u << 20;
    disk = std::make_shared<volatile_disk>(rocksdb::FileSystem::Default());
    env = rocksdb::NewCompositeEnv(disk);
  }

  void TearDown() override {
    fs::remove_all(dir);
  }

  std::unique_ptr<store::db> open() {
    auto db = store::db::open(opts, {}, env.get());
    if (!db) {
      ADD_FAILURE() << "open: " << message_of(db.error());
      return nullptr;
    }
    return std::move(*db);
  }

  /// Power cut with the db open: closes it on the frozen disk, then leaves
  /// the disk as the cut would have.
  void cut_power(std::unique_ptr<store::db>& db) {
    disk->crash();
    db.reset();
    auto [bytes, files] = disk->settle();
    std::cout << "power cut dropped " << bytes << " bytes, " << files
              << " files\n";
  }

  static store::write_batch job_batch(size_t i) {
    store::write_batch b;
    auto key = "job-" + std::to_string(i);
    b.put(store::cf::jobs, key, std::string(200, 'j') + key);
    b.put(store::cf::active, key, {});
    return b;
  }

  /// The keys of `acked` missing from the db.
  static std::vector<size_t> missing(store::db& db,
                                     const std::vector<size_t>& acked) {
    std::vector<size_t> gone;
    for (auto i : acked) {
      auto key = "job-" + std::to_string(i);
      auto v = db.get(store::cf::jobs, key);
      auto a = db.get(store::cf::active, key);
      if (!v || !v->has_value() || !a || !a->has_value())
        gone.push_back(i);
    }
    return gone;
  }
};

} // namespace

// Writers keep submitting while the power goes; each write whose completion
// said "durable" before the cut is read back after the restart.
TEST_F(PowerLoss, EveryWriteAnsweredDurableSurvives) {
  for (size_t round = 0; round < 3; ++round) {
    auto db = open();
    ASSERT_TRUE(db);
    std::mutex mtx;
    std::vector<size_t> acked;
    std::atomic<size_t> done{0};
    {
      store::group_commit commit{*db, 256, 100'000};
      std::vector<std::thread> writers;
      for (size_t w = 0; w < 4; ++w)
        writers.emplace_back([&, w] {
          for (size_t i = 0; i < 3000; ++i) {
            auto n = (round * 4 + w) * 100'000 + i;
            bool ok = commit.submit(job_batch(n), [&, n](const caf::error& e) {
              // Counted only while the power is on: a completion after the
              // cut may follow a sync that never reached the disk.
              if (!e && !disk->crashed()) {
                std::lock_guard<std::mutex> lock{mtx};
                acked.push_back(n);
              }
              ++done;
            });
            if (!ok)
              std::this_thread::yield();
            if (disk->crashed())
              return;
          }
        });
      // The cut comes in the middle of the load.
      while (done.load() < 4000 + round * 1000)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      disk->crash();
      for (auto& t : writers)
        t.join();
      commit.stop();
    }
    cut_power(db);
    db = open();
    ASSERT_TRUE(db);
    std::lock_guard<std::mutex> lock{mtx};
    ASSERT_GE(acked.size(), 4000u);
    auto gone = missing(*db, acked);
    EXPECT_TRUE(gone.empty())
      << gone.size() << " of " << acked.size()
      << " writes answered durable are lost, e.g. " << gone.front();
  }
}

// The simulation really forgets: writes RocksDB did not sync are gone after
// the cut (else the test above would prove nothing).
TEST_F(PowerLoss, UnsyncedWritesAreLost) {
  auto db = open();
  ASSERT_TRUE(db);
  std::vector<size_t> written;
  for (size_t i = 0; i < 1000; ++i) {
    ASSERT_FALSE(db->write(job_batch(i), false));
    written.push_back(i);
  }
  cut_power(db);
  db = open();
  ASSERT_TRUE(db);
  EXPECT_EQ(missing(*db, written).size(), written.size());
}
