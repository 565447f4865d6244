// Durable ingest: store::group_commit over a RocksDB on the real disk under
// /tmp, every commit fsync'd. `in_flight` writers each submit the accept
// path's write (job record, active and due keys) and wait for it before
// submitting the next; `bound` is the most writes one commit may take
// (store.max_batch_writes).

#include <atomic>
#include <semaphore>

#include <benchmark/benchmark.h>

#include "bench/micro/fixtures.hpp"
#include "store/group_commit.hpp"
#include "store/keys.hpp"

namespace {

using namespace ns;

store::write_batch accept_write(const job_record& job, uint64_t n) {
  auto id = job.id + std::to_string(n);
  store::write_batch batch;
  batch.put(store::cf::jobs, store::keys::job(id), encode(job));
  batch.put(store::cf::active,
            store::keys::active(static_cast<uint8_t>(job.priority), id), {});
  batch.put(store::cf::due, store::keys::due(job.expire_ms, id), {});
  return batch;
}

void BM_GroupCommit(benchmark::State& state) {
  auto bound = static_cast<size_t>(state.range(0));
  auto in_flight = static_cast<ptrdiff_t>(state.range(1));
  bench::temp_store store{"group_commit"};
  if (store.get() == nullptr) {
    state.SkipWithError("cannot open a RocksDB under /tmp");
    return;
  }
  store::group_commit commit{*store.get(), bound,
                             static_cast<size_t>(in_flight)};
  // One permit per writer: a writer waits for its write before the next.
  std::counting_semaphore<> writers{in_flight};
  std::atomic<uint64_t> durable{0};
  std::atomic<uint64_t> failed{0};
  auto job = bench::typical_job();
  uint64_t n = 0;
  auto write = [&] {
    writers.acquire();
    auto queued
      = commit.submit(accept_write(job, n++), [&](const caf::error& err) {
          if (err)
            failed.fetch_add(1);
          durable.fetch_add(1);
          writers.release();
        });
    if (!queued)
      writers.release();
    return queued;
  };
  // Every writer has a write out before the clock starts: each iteration then
  // waits for one write to be durable and submits the next (steady state).
  for (ptrdiff_t i = 0; i < in_flight; ++i)
    if (!write()) {
      // The loop below then does not run; the drain still waits.
      state.SkipWithError("group commit refused a write");
      break;
    }
  auto before = commit.snapshot();
  auto durable_before = durable.load();
  auto cpu_before = bench::process_cpu_seconds();
  for (auto _ : state) {
    if (!write()) {
      state.SkipWithError("group commit refused a write");
      break;
    }
  }
  // Rates count what was durable when the clock stopped.
  auto writes = durable.load() - durable_before;
  auto commits = commit.snapshot().commits - before.commits;
  auto cpu = bench::process_cpu_seconds() - cpu_before;
  for (ptrdiff_t i = 0; i < in_flight; ++i)
    writers.acquire();
  commit.stop();
  if (failed.load() != 0)
    state.SkipWithError("a commit failed");
  using benchmark::Counter;
  state.counters["writes/s"]
    = Counter(static_cast<double>(writes), Counter::kIsRate);
  state.counters["commits/s"]
    = Counter(static_cast<double>(commits), Counter::kIsRate);
  state.counters["writes/commit"] = commits == 0
    ? 0.0
    : static_cast<double>(writes) / static_cast<double>(commits);
  state.counters["cpu_us/write"]
    = writes == 0 ? 0.0 : cpu * 1e6 / static_cast<double>(writes);
}
// {bound, in_flight}. Each run ends by waiting for its in-flight writes
// (at most 64 fsyncs here), outside the timed loop.
BENCHMARK(BM_GroupCommit)
  ->ArgNames({"bound", "in_flight"})
  ->Args({1, 1})
  ->Args({1, 64})
  ->Args({16, 64})
  ->Args({128, 64})
  ->Args({16, 1024})
  ->Args({128, 1024})
  ->Args({1024, 1024})
  ->UseRealTime()
  ->Unit(benchmark::kMicrosecond);

} // namespace
