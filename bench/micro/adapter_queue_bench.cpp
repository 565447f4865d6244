// The adapter actor's ready queue (ns::ready_queue): every queued job is
// pushed once and popped once by dispatch().

#include <benchmark/benchmark.h>

#include "actors/ready_queue.hpp"

namespace {

using namespace ns;

// 10 % high, 80 % normal, 10 % low: most jobs queue behind others.
job_priority priority_of(uint64_t seq) {
  auto r = seq % 10;
  return r == 0 ? job_priority::high
                : (r == 9 ? job_priority::low : job_priority::normal);
}

// Null handles: the queue copies them as it would a job actor's handle (no
// reference count to touch, which a real handle adds).
void push(ready_queue& q, uint64_t seq) {
  q.push(priority_of(seq), seq, caf::actor{});
}

// One push and one pop on a queue that stays at range(0) entries: the
// steady state of an adapter with a backlog.
void BM_AdapterQueuePushPop(benchmark::State& state) {
  ready_queue q;
  auto size = static_cast<uint64_t>(state.range(0));
  uint64_t seq = 0;
  while (seq < size)
    push(q, seq++);
  for (auto _ : state) {
    push(q, seq++);
    auto first = q.pop();
    benchmark::DoNotOptimize(first);
  }
  if (q.size() != size)
    state.SkipWithError("queue size drifted");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_AdapterQueuePushPop)->Arg(1'000)->Arg(100'000);

// Filling a queue to range(0) and draining it: a burst arriving while no
// instance has credit, then the instances catching up.
void BM_AdapterQueueFillDrain(benchmark::State& state) {
  auto size = static_cast<uint64_t>(state.range(0));
  for (auto _ : state) {
    ready_queue q;
    for (uint64_t seq = 0; seq < size; ++seq)
      push(q, seq);
    while (!q.empty()) {
      auto first = q.pop();
      benchmark::DoNotOptimize(first);
    }
  }
  // One item is one push plus one pop.
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * size));
}
BENCHMARK(BM_AdapterQueueFillDrain)->Arg(1'000)->Arg(100'000);

} // namespace
