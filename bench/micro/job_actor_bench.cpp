// One job's life in its actor (actors/job_actor): spawned at acceptance,
// enqueued at its adapter, taken by an instance (-> running, written), told
// the attempt succeeded (-> succeeded, written), then reports job_done and
// quits once that write is durable. The adapter and the manager are
// stand-ins; the group commit and RocksDB are real, on the disk under /tmp or
// on tmpfs under /dev/shm (where fsync costs next to nothing), so the two
// runs tell the actor work apart from the wait for the disk.

#include <condition_variable>
#include <mutex>

#include <benchmark/benchmark.h>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "actors/job_actor.hpp"
#include "actors/repeater.hpp"
#include "bench/micro/fixtures.hpp"

namespace {

using namespace ns;

/// Jobs that reached job_done, and how many of them did not succeed.
struct finish_line {
  std::mutex mtx;
  std::condition_variable cv;
  uint64_t done = 0;
  uint64_t not_succeeded = 0;

  void add(bool succeeded) {
    {
      std::lock_guard<std::mutex> lock{mtx};
      ++done;
      if (!succeeded)
        ++not_succeeded;
    }
    cv.notify_one();
  }

  /// False when `n` jobs are not done within 10 s (a job got stuck).
  bool wait_for(uint64_t n) {
    std::unique_lock<std::mutex> lock{mtx};
    return cv.wait_for(lock, std::chrono::seconds(10), [&] {
      return done >= n;
    });
  }
};

/// Adapter and instance in one: takes each job as soon as it is enqueued and
/// reports its attempt as delivered.
adapter_actor::behavior_type instant_adapter(adapter_actor::pointer self,
                                             std::shared_ptr<finish_line> fl) {
  auto run = [self, fl](const caf::actor& job) {
    self
      ->request(job, caf::infinite, take_job{caf::actor_cast<caf::actor>(self)})
      .then(
        [job](const job_record&) {
          attempt_result ok;
          ok.outcome = attempt_result::kind::succeeded;
          caf::anon_send(job, std::move(ok));
        },
        [fl](const caf::error&) {
          fl->add(false);
        });
  };
  return {
    [run](const enqueue_job& x) {
      run(x.job);
    },
    [run](const enqueue_jobs& xs) {
      for (auto& x : xs.jobs)
        run(x.job);
    },
    [](const want_work&) {},
    [](const adapter_changed&) {},
    [](atom::wake) {},
    [](atom::attach, const caf::actor&) {
      return adapter_changed{};
    },
    [](atom::detach, const caf::actor&) {
      return true;
    },
  };
}

job_manager_actor::behavior_type
counting_manager(job_manager_actor::pointer, std::shared_ptr<finish_line> fl) {
  return {
    [](jobs_accepted&) {},
    [](job_query&) {},
    [](callbacks_query&) {},
    [](const stats_query&) {},
    [](const metrics_query&) {},
    [](const adapter_changed&) {},
    [fl](const job_done& d) {
      fl->add(d.job.state == job_state::succeeded);
    },
    [](const job_transition&) {},
    [](atom::tick) {},
    [](atom::due) {},
    [](atom::persisted, const std::string&) {},
    [](atom::attach, const std::string&) -> caf::result<caf::actor> {
      return caf::actor{};
    },
  };
}

// range(0) jobs live at once per round; range(1) = 1 puts the store on tmpfs.
void BM_JobActorLifecycle(benchmark::State& state) {
  auto batch = static_cast<uint64_t>(state.range(0));
  bool tmpfs = state.range(1) != 0;
  bench::temp_store store{"job_actor", tmpfs ? "/dev/shm" : "/tmp"};
  if (store.get() == nullptr) {
    state.SkipWithError("cannot open the RocksDB");
    return;
  }
  // The defaults of store.max_batch_writes / max_pending_writes.
  store::group_commit commit{*store.get(), 4096, 100'000};
  auto fl = std::make_shared<finish_line>();
  double cpu = 0;
  {
    caf::actor_system_config cfg;
    cfg.set("scheduler.max-threads", size_t{2});
    caf::actor_system sys{cfg};
    auto ctx = std::make_shared<job_context>();
    auto snap = std::make_shared<registry_snapshot>();
    adapter_record rec;
    rec.name = "welcome-email";
    snap->put(
      std::make_shared<const adapter_entry>(adapter_entry{rec, {}, nullptr}));
    ctx->view = std::make_shared<registry_view>();
    ctx->view->publish(snap);
    ctx->commit = &commit;
    ctx->repeater = sys.spawn(repeater, uint64_t{7});
    ctx->manager = sys.spawn(counting_manager, fl);
    auto adapter = sys.spawn(instant_adapter, fl);
    auto proto = bench::typical_job();
    uint64_t seq = 0;
    auto cpu_before = bench::process_cpu_seconds();
    for (auto _ : state) {
      for (uint64_t i = 0; i < batch; ++i) {
        auto rec = proto;
        rec.id += std::to_string(++seq);
        sys.spawn(job, resident_job{rec}, std::vector<std::string>{}, seq,
                  adapter, std::shared_ptr<const job_context>{ctx}, false);
      }
      if (!fl->wait_for(seq)) {
        state.SkipWithError("jobs did not finish within 10 s");
        break;
      }
    }
    cpu = bench::process_cpu_seconds() - cpu_before;
    caf::anon_send_exit(ctx->repeater, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(ctx->manager, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(adapter, caf::exit_reason::user_shutdown);
    ctx.reset();
    adapter = adapter_actor{};
    sys.await_all_actors_done();
  }
  commit.stop();
  if (fl->not_succeeded != 0)
    state.SkipWithError("a job did not succeed");
  state.SetItemsProcessed(static_cast<int64_t>(fl->done));
  auto jobs = static_cast<double>(fl->done);
  state.counters["cpu_us/job"] = jobs == 0 ? 0.0 : cpu * 1e6 / jobs;
  state.counters["commits/job"]
    = jobs == 0 ? 0.0 : static_cast<double>(commit.snapshot().commits) / jobs;
}
BENCHMARK(BM_JobActorLifecycle)
  ->ArgNames({"jobs", "tmpfs"})
  ->Args({1, 0})
  ->Args({64, 0})
  ->Args({1, 1})
  ->Args({64, 1})
  ->UseRealTime()
  ->Unit(benchmark::kMicrosecond);

} // namespace
