// The binary job record of the `jobs` column family: written on every state
// change (accept, running, final), read at recovery, peeked by the compaction
// filter for every finished job it meets.

#include <benchmark/benchmark.h>

#include "bench/micro/fixtures.hpp"
#include "config/error.hpp"

namespace {

using namespace ns;

void BM_EncodeJob(benchmark::State& state) {
  auto job = bench::typical_job();
  size_t bytes = 0;
  for (auto _ : state) {
    auto out = encode(job);
    bytes += out.size();
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_EncodeJob);

void BM_DecodeJob(benchmark::State& state) {
  auto bytes = encode(bench::typical_job());
  for (auto _ : state) {
    auto job = decode_job(bytes);
    if (!job) {
      state.SkipWithError(message_of(job.error()).c_str());
      break;
    }
    benchmark::DoNotOptimize(job);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(
    static_cast<int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(BM_DecodeJob);

// What the compaction filter does per finished job (job_retention).
void BM_PeekStateAndFinish(benchmark::State& state) {
  auto job = bench::typical_job();
  job.state = job_state::succeeded;
  job.finish_ms = job.create_ms + 1;
  auto bytes = encode(job);
  for (auto _ : state) {
    benchmark::DoNotOptimize(bytes.data());
    auto s = peek_state(bytes);
    auto f = peek_finish_ms(bytes);
    if (s != job_state::succeeded || f != job.finish_ms) {
      state.SkipWithError("peek does not match the record");
      break;
    }
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(f);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_PeekStateAndFinish);

// Each accepted job gets one (job_ingest).
void BM_NewJobId(benchmark::State& state) {
  for (auto _ : state) {
    auto id = new_job_id("node-1");
    benchmark::DoNotOptimize(id);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_NewJobId);

} // namespace
