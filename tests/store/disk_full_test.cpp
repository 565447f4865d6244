// A disk that fills up under the store and frees again: the group commit
// refuses writes with messages that name no file, and resumes on its own.
// (tests/integration/test_disk_full.py does the same on a real tmpfs, as
// root; this one runs anywhere.)

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>

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

/// While full, every append and every new file fails as ENOSPC does on
/// Linux (RocksDB's posix layer marks it retryable).
class filling_disk : public rocksdb::FileSystemWrapper {
public:
  explicit filling_disk(std::shared_ptr<rocksdb::FileSystem> base)
    : FileSystemWrapper(std::move(base)) {
  }

  static const char* kClassName() {
    return "ns.filling_disk";
  }
  const char* Name() const override {
    return kClassName();
  }

  void set_full(bool x) {
    full_ = x;
  }

  rocksdb::IOStatus no_space(const std::string& name) const {
    auto st = rocksdb::IOStatus::NoSpace("While appending to file: " + name,
                                         "No space left on device");
    st.SetRetryable(true);
    return st;
  }

  rocksdb::IOStatus NewWritableFile(const std::string& name,
                                    const rocksdb::FileOptions& opts,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override {
    if (full_)
      return no_space(name);
    auto st = target()->NewWritableFile(name, opts, r, dbg);
    if (st.ok())
      *r = std::make_unique<file>(std::move(*r), *this, name);
    return st;
  }

  // What a full disk says to statvfs; a free one, plenty.
  rocksdb::IOStatus GetFreeSpace(const std::string&, const rocksdb::IOOptions&,
                                 uint64_t* free,
                                 rocksdb::IODebugContext*) override {
    *free = full_ ? 0 : uint64_t{1} << 30;
    return rocksdb::IOStatus::OK();
  }

private:
  class file final : public rocksdb::FSWritableFileOwnerWrapper {
  public:
    file(std::unique_ptr<rocksdb::FSWritableFile> f, filling_disk& disk,
         std::string name)
      : FSWritableFileOwnerWrapper(std::move(f)), disk_(disk),
        name_(std::move(name)) {
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data,
                             const rocksdb::IOOptions& io,
                             rocksdb::IODebugContext* dbg) override {
      if (disk_.full_)
        return disk_.no_space(name_);
      return target()->Append(data, io, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data,
                             const rocksdb::IOOptions& io,
                             const rocksdb::DataVerificationInfo& info,
                             rocksdb::IODebugContext* dbg) override {
      if (disk_.full_)
        return disk_.no_space(name_);
      return target()->Append(data, io, info, dbg);
    }

  private:
    filling_disk& disk_;
    std::string name_;
  };

  std::atomic<bool> full_{false};
};

struct StoreDiskFull : ::testing::Test {
  fs::path dir;
  config::store_options opts;
  std::shared_ptr<filling_disk> disk;
  std::unique_ptr<rocksdb::Env> env;

  void SetUp() override {
    dir = fs::temp_directory_path()
      / ("ns_disk_full_" + std::to_string(::getpid()) + "_"
         + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    opts.path = dir.string();
    disk = std::make_shared<filling_disk>(rocksdb::FileSystem::Default());
    env = rocksdb::NewCompositeEnv(disk);
  }

  void TearDown() override {
    fs::remove_all(dir);
  }

  static store::write_batch batch(const std::string& key) {
    store::write_batch b;
    b.put(store::cf::jobs, key, "value of " + key);
    return b;
  }

  /// The outcome of one write through `commit`.
  static caf::error write(store::group_commit& commit, const std::string& key) {
    std::promise<caf::error> p;
    auto f = p.get_future();
    if (!commit.submit(batch(key), [&p](const caf::error& e) {
          p.set_value(e);
        }))
      return make_error(ec::overloaded, "queue full");
    return f.get();
  }
};

} // namespace

TEST_F(StoreDiskFull, RefusesWithoutPathsAndResumesOnItsOwn) {
  auto opened = store::db::open(opts, {}, env.get());
  ASSERT_TRUE(opened) << message_of(opened.error());
  auto& db = **opened;
  store::group_commit commit{db, 64, 1000, {}, std::chrono::milliseconds(100)};
  ASSERT_FALSE(write(commit, "before"));

  disk->set_full(true);
  auto first = write(commit, "while-full-1");
  ASSERT_TRUE(first);
  EXPECT_EQ(code_of(first), ec::store_failure);
  EXPECT_EQ(message_of(first).find('/'), std::string::npos)
    << message_of(first);
  EXPECT_NE(message_of(first).find("no space left on device"),
            std::string::npos)
    << message_of(first);
  EXPECT_FALSE(db.writable());
  EXPECT_FALSE(commit.writable());
  auto later = write(commit, "while-full-2");
  ASSERT_TRUE(later);
  EXPECT_EQ(code_of(later), ec::not_ready);
  EXPECT_EQ(message_of(later).find('/'), std::string::npos)
    << message_of(later);
  // Resume attempts fail while the disk is full.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_FALSE(db.writable());

  disk->set_full(false);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!db.writable() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(db.writable()) << "no resume after the disk was freed";
  EXPECT_TRUE(db.fault().empty());
  ASSERT_FALSE(write(commit, "after"));
  commit.stop();

  for (auto key : {"before", "after"}) {
    auto v = db.get(store::cf::jobs, key);
    ASSERT_TRUE(v);
    EXPECT_TRUE(v->has_value()) << key;
  }
  for (auto key : {"while-full-1", "while-full-2"}) {
    auto v = db.get(store::cf::jobs, key);
    ASSERT_TRUE(v);
    EXPECT_FALSE(v->has_value()) << key;
  }
}
