// The adapter actor's ready queue (adapter_actor_state::queue): every queued
// job is pushed once and popped once by dispatch().

#include "actors/adapter_actor.hpp"

#include <benchmark/benchmark.h>

namespace {

using namespace ns;

using ready_queue = decltype(adapter_actor_state::queue);

// 10 % high, 80 % normal, 10 % low: most jobs queue behind others.
job_priority priority_of(uint64_t seq) {
  auto r = seq % 10;
  return r == 0 ? job_priority::high
                : (r == 9 ? job_priority::low : job_priority::normal);
}

// A job id as new_job_id makes them: too long for the small-string buffer,
// so each entry owns a heap copy, as in the job actor's enqueue().
const std::string job_id = "node-1-0192f3a4b5c6000000a1b2c3d4";

void push(ready_queue& q, uint64_t seq) {
  enqueue_job x;
  x.job_id = job_id;
  x.priority = priority_of(seq);
  x.seq = seq;
  auto key = std::make_pair(static_cast<uint8_t>(x.priority), x.seq);
  q.emplace(key, std::move(x));
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
    auto first = q.begin();
    benchmark::DoNotOptimize(first->second.job_id.data());
    q.erase(first);
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
    uint8_t last = 0;
    while (!q.empty()) {
      auto first = q.begin();
      if (first->first.first < last) {
        state.SkipWithError("popped out of priority order");
        break;
      }
      last = first->first.first;
      q.erase(first);
    }
  }
  // One item is one push plus one pop.
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * size));
}
BENCHMARK(BM_AdapterQueueFillDrain)->Arg(1'000)->Arg(100'000);

} // namespace
