#include <algorithm>
#include <atomic>
#include <filesystem>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "config/error.hpp"
#include "store/group_commit.hpp"

using namespace ns;

namespace {

struct StoreFixture : ::testing::Test {
  std::filesystem::path dir;
  config::store_options opts;

  void SetUp() override {
    dir = std::filesystem::temp_directory_path()
      / ("ns_store_test_" + std::to_string(::getpid()) + "_"
         + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir);
    opts.path = dir.string();
  }

  void TearDown() override {
    std::filesystem::remove_all(dir);
  }
};

using GroupCommit = StoreFixture;
using StoreDb = StoreFixture;

} // namespace

TEST_F(GroupCommit, ConcurrentWritersAreAllAnsweredAndDurable) {
  constexpr int writers = 8;
  constexpr int per_writer = 500;
  store::group_commit::stats stats;
  {
    auto db = store::db::open(opts);
    ASSERT_TRUE(db) << message_of(db.error());
    store::group_commit gc{**db, 1024, 100'000};
    std::atomic<int> ok{0};
    std::atomic<int> failed{0};
    std::vector<std::thread> threads;
    for (int w = 0; w < writers; ++w)
      threads.emplace_back([&, w] {
        for (int i = 0; i < per_writer; ++i) {
          store::write_batch b;
          auto key = "w" + std::to_string(w) + "-" + std::to_string(i);
          b.put(store::cf::jobs, key, "value-" + key);
          bool queued = gc.submit(std::move(b), [&](const caf::error& err) {
            (err ? failed : ok).fetch_add(1);
          });
          ASSERT_TRUE(queued);
        }
      });
    for (auto& t : threads)
      t.join();
    gc.stop(); // returns once everything queued is written
    EXPECT_EQ(ok.load(), writers * per_writer);
    EXPECT_EQ(failed.load(), 0);
    stats = gc.snapshot();
  }
  EXPECT_EQ(stats.batches, uint64_t{writers * per_writer});
  // Writers did not wait for each other, so fsyncs were shared.
  EXPECT_LT(stats.commits, stats.batches);
  auto db = store::db::open(opts);
  ASSERT_TRUE(db);
  for (int w = 0; w < writers; ++w)
    for (int i = 0; i < per_writer; ++i) {
      auto key = "w" + std::to_string(w) + "-" + std::to_string(i);
      auto v = (*db)->get(store::cf::jobs, key);
      ASSERT_TRUE(v);
      ASSERT_TRUE(v->has_value()) << key;
      EXPECT_EQ(**v, "value-" + key);
    }
}

TEST_F(GroupCommit, CompletionRunsOnlyAfterTheWriteIsReadable) {
  auto db = store::db::open(opts);
  ASSERT_TRUE(db);
  store::group_commit gc{**db, 16, 1000};
  std::promise<bool> seen;
  store::write_batch b;
  b.put(store::cf::clients, "c1", "x");
  ASSERT_TRUE(gc.submit(std::move(b), [&](const caf::error& err) {
    auto v = (*db)->get(store::cf::clients, "c1");
    seen.set_value(!err && v && v->has_value());
  }));
  EXPECT_TRUE(seen.get_future().get());
}

namespace {

/// A write whose completion fulfils a promise.
std::future<bool> write_one(store::group_commit& gc, std::string key) {
  auto done = std::make_shared<std::promise<bool>>();
  auto out = done->get_future();
  store::write_batch b;
  b.put(store::cf::clients, key, "x");
  EXPECT_TRUE(gc.submit(std::move(b), [done](const caf::error& err) {
    done->set_value(!err);
  }));
  return out;
}

} // namespace

// store.commit_interval: a commit waits for as many writes as the last one
// carried (at most the interval), so a lone writer is never held back while
// concurrent writers share fsyncs.
TEST_F(GroupCommit, PacedCommitWaitsForAsManyWritesAsTheLastCarried) {
  using namespace std::chrono_literals;
  auto db = store::db::open(opts);
  ASSERT_TRUE(db);
  // An interval far longer than this test: any wait for it would show.
  store::group_commit gc{**db, 64, 1000, 60s};
  // A lone writer, one write at a time: never paced.
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(write_one(gc, "lone" + std::to_string(i)).wait_for(10s),
              std::future_status::ready);
  // Hold the commit thread inside a commit of one write (its guard runs on
  // that thread) while two more queue up: the next commit carries both.
  ASSERT_TRUE(write_one(gc, "held").get()); // a guard runs on existing keys
  std::promise<void> entered;
  std::promise<void> release;
  auto released = release.get_future().share();
  std::promise<bool> held_done;
  store::write_batch held;
  held.put(store::cf::clients, "held", "y");
  ASSERT_TRUE(gc.submit(
    std::move(held),
    store::group_commit::guard{store::cf::clients, "held",
                               [&entered, released](std::string_view) {
                                 entered.set_value();
                                 released.wait();
                                 return false;
                               }},
    [&](const caf::error& err, std::optional<std::string>) {
      held_done.set_value(!err);
    }));
  entered.get_future().wait();
  auto before = gc.snapshot().commits;
  auto a = write_one(gc, "a");
  auto b = write_one(gc, "b");
  release.set_value();
  ASSERT_TRUE(held_done.get_future().get());
  ASSERT_TRUE(a.get());
  ASSERT_TRUE(b.get());
  EXPECT_EQ(gc.snapshot().commits - before, 2u); // held, then a and b
  // The last commit carried two: one write alone now waits for a second.
  auto c = write_one(gc, "c");
  EXPECT_EQ(c.wait_for(300ms), std::future_status::timeout);
  auto d = write_one(gc, "d");
  EXPECT_EQ(c.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(d.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(gc.snapshot().commits - before, 3u);
  // Stopping does not wait out the interval.
  auto e = write_one(gc, "e");
  auto f = write_one(gc, "f");
  (void)f.get();
  auto g = write_one(gc, "g"); // alone after a commit of two: paced
  auto t0 = std::chrono::steady_clock::now();
  gc.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 30s);
  EXPECT_TRUE(e.get());
  EXPECT_TRUE(g.get());
}

TEST_F(GroupCommit, RefusesWorkAfterStop) {
  auto db = store::db::open(opts);
  ASSERT_TRUE(db);
  store::group_commit gc{**db, 16, 1000};
  gc.stop();
  store::write_batch b;
  b.put(store::cf::clients, "c1", "x");
  bool called = false;
  EXPECT_FALSE(gc.submit(std::move(b), [&](const caf::error&) {
    called = true;
  }));
  EXPECT_FALSE(called);
}

TEST_F(StoreDb, BatchIsAtomicAcrossFamiliesAndDeletes) {
  auto db = store::db::open(opts);
  ASSERT_TRUE(db);
  store::write_batch b;
  b.put(store::cf::clients, "a", "1");
  b.put(store::cf::adapters, "a", "2");
  ASSERT_FALSE((*db)->write(b));
  EXPECT_EQ(*(*db)->get(store::cf::clients, "a").value(), "1");
  EXPECT_EQ(*(*db)->get(store::cf::adapters, "a").value(), "2");
  store::write_batch d;
  d.erase(store::cf::clients, "a");
  ASSERT_FALSE((*db)->write(d));
  EXPECT_FALSE((*db)->get(store::cf::clients, "a").value().has_value());
}

TEST_F(StoreDb, ScanVisitsPrefixInOrder) {
  auto db = store::db::open(opts);
  ASSERT_TRUE(db);
  store::write_batch b;
  for (auto k : {"p/3", "p/1", "q/1", "p/2"})
    b.put(store::cf::jobs, k, k);
  ASSERT_FALSE((*db)->write(b));
  std::vector<std::string> seen;
  ASSERT_FALSE((*db)->scan(store::cf::jobs, "p/",
                           [&](std::string_view k, std::string_view) {
                             seen.emplace_back(k);
                             return true;
                           }));
  EXPECT_EQ(seen, (std::vector<std::string>{"p/1", "p/2", "p/3"}));
}

TEST_F(StoreDb, SecondOpenOfTheSameDirectoryIsRefusedClearly) {
  auto first = store::db::open(opts);
  ASSERT_TRUE(first);
  auto second = store::db::open(opts);
  ASSERT_FALSE(second);
  EXPECT_EQ(code_of(second.error()), ec::store_locked);
  EXPECT_NE(message_of(second.error()).find("in use"), std::string::npos);
}

TEST_F(GroupCommit, GuardKeepsTheFirstWriterOfAKey) {
  auto db = store::db::open(opts);
  ASSERT_TRUE(db);
  store::group_commit gc{**db, 64, 1000};
  std::atomic<int> written{0};
  std::atomic<int> blocked{0};
  std::mutex mtx;
  std::vector<std::string> seen;
  std::vector<std::thread> threads;
  // Many writers race for one key within and across commits.
  for (int w = 0; w < 8; ++w)
    threads.emplace_back([&, w] {
      for (int i = 0; i < 20; ++i) {
        store::write_batch b;
        auto value = "w" + std::to_string(w) + "-" + std::to_string(i);
        b.put(store::cf::idempotency, "key", value);
        b.put(store::cf::jobs, value, "job");
        store::group_commit::guard g{store::cf::idempotency, "key",
                                     [](std::string_view) {
                                       return true;
                                     }};
        ASSERT_TRUE(gc.submit(
          std::move(b), std::move(g),
          [&](const caf::error& err, std::optional<std::string> existing) {
            ASSERT_FALSE(err);
            if (existing) {
              blocked.fetch_add(1);
              std::lock_guard<std::mutex> lock{mtx};
              seen.push_back(*existing);
            } else {
              written.fetch_add(1);
            }
          }));
      }
    });
  for (auto& t : threads)
    t.join();
  gc.stop();
  EXPECT_EQ(written.load(), 1);
  EXPECT_EQ(blocked.load(), 159);
  auto winner = (*db)->get(store::cf::idempotency, "key");
  ASSERT_TRUE(winner && winner->has_value());
  for (auto& s : seen)
    EXPECT_EQ(s, **winner);
  // Blocked batches wrote nothing at all.
  int jobs = 0;
  ASSERT_FALSE(
    (*db)->scan(store::cf::jobs, "", [&](std::string_view, std::string_view) {
      ++jobs;
      return true;
    }));
  EXPECT_EQ(jobs, 1);
}

TEST_F(GroupCommit, ExpiredGuardValueIsOverwritten) {
  auto db = store::db::open(opts);
  ASSERT_TRUE(db);
  store::write_batch old;
  old.put(store::cf::idempotency, "key", "stale");
  ASSERT_FALSE((*db)->write(old));
  store::group_commit gc{**db, 64, 1000};
  std::promise<bool> wrote;
  store::write_batch b;
  b.put(store::cf::idempotency, "key", "fresh");
  ASSERT_TRUE(
    gc.submit(std::move(b),
              store::group_commit::guard{store::cf::idempotency, "key",
                                         [](std::string_view v) {
                                           return v != "stale";
                                         }},
              [&](const caf::error& err, std::optional<std::string> existing) {
                wrote.set_value(!err && !existing);
              }));
  EXPECT_TRUE(wrote.get_future().get());
  EXPECT_EQ(*(*db)->get(store::cf::idempotency, "key").value(), "fresh");
}

TEST_F(StoreDb, RetentionFilterDropsRecordsAtCompaction) {
  store::retention filters;
  filters.jobs = [](std::string_view, std::string_view value) {
    return value == "finished-long-ago";
  };
  {
    auto db = store::db::open(opts, filters);
    ASSERT_TRUE(db);
    store::write_batch b;
    b.put(store::cf::jobs, "old", "finished-long-ago");
    b.put(store::cf::jobs, "new", "still-running");
    b.put(store::cf::clients, "other", "finished-long-ago"); // no filter here
    ASSERT_FALSE((*db)->write(b));
    ASSERT_FALSE((*db)->flush());
    ASSERT_FALSE((*db)->compact());
    EXPECT_FALSE((*db)->get(store::cf::jobs, "old").value().has_value());
    EXPECT_TRUE((*db)->get(store::cf::jobs, "new").value().has_value());
    EXPECT_TRUE((*db)->get(store::cf::clients, "other").value().has_value());
  }
}

TEST_F(GroupCommit, CommitEndRunsAfterTheCompletionsOfEachWrite) {
  auto db = store::db::open(opts);
  ASSERT_TRUE(db) << message_of(db.error());
  store::group_commit gc{**db, 1024, 100'000};
  // Only the commit thread touches these: no lock needed.
  int completed = 0;
  std::vector<int> completed_at_end;
  std::promise<void> all_done;
  constexpr int total = 300;
  gc.on_commit_end([&] {
    completed_at_end.push_back(completed);
    if (completed == total)
      all_done.set_value();
  });
  for (int i = 0; i < total; ++i) {
    store::write_batch b;
    b.put(store::cf::jobs, "k" + std::to_string(i), "v");
    ASSERT_TRUE(gc.submit(std::move(b), [&](const caf::error& err) {
      EXPECT_FALSE(err);
      ++completed;
    }));
  }
  ASSERT_EQ(all_done.get_future().wait_for(std::chrono::seconds(10)),
            std::future_status::ready);
  gc.stop();
  // One call per fsync'd write, each after that write's completions.
  EXPECT_EQ(completed_at_end.size(), gc.snapshot().commits);
  EXPECT_EQ(std::adjacent_find(completed_at_end.begin(), completed_at_end.end(),
                               std::greater_equal<>()),
            completed_at_end.end());
  EXPECT_EQ(completed_at_end.back(), total);
}
