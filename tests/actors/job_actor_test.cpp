// The job actor's state machine and the adapter's priority queue, on a real
// actor system with a real RocksDB; the adapter and manager around a job are
// stand-ins that report what they receive.

#include <filesystem>
#include <future>
#include <mutex>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <gtest/gtest.h>

#include "actors/adapter_actor.hpp"
#include "actors/clock.hpp"
#include "actors/job_actor.hpp"
#include "actors/repeater.hpp"
#include "config/error.hpp"
#include "store/keys.hpp"

using namespace ns;
using namespace std::chrono_literals;

namespace {

/// What the stand-ins saw.
struct journal {
  std::mutex mtx;
  std::vector<std::string> enqueued; // in arrival order
  std::vector<job_done> done;

  size_t enqueued_count() {
    std::lock_guard<std::mutex> lock{mtx};
    return enqueued.size();
  }
  size_t done_count() {
    std::lock_guard<std::mutex> lock{mtx};
    return done.size();
  }
};

adapter_actor::behavior_type fake_adapter(adapter_actor::pointer,
                                          std::shared_ptr<journal> j) {
  return {
    [j](const enqueue_job& x) {
      std::lock_guard<std::mutex> lock{j->mtx};
      j->enqueued.push_back(std::string{to_string(x.priority)} + " "
                            + std::to_string(x.seq));
    },
    [j](const enqueue_jobs& xs) {
      std::lock_guard<std::mutex> lock{j->mtx};
      for (auto& x : xs.jobs)
        j->enqueued.push_back(std::string{to_string(x.priority)} + " "
                              + std::to_string(x.seq));
    },
    [](const want_work&) {},
    [](const adapter_changed&) {},
    [](atom::attach, const caf::actor&) {
      return adapter_changed{};
    },
    [](atom::detach, const caf::actor&) {
      return true;
    },
    [](atom::wake) {},
  };
}

job_manager_actor::behavior_type fake_manager(job_manager_actor::pointer,
                                              std::shared_ptr<journal> j) {
  return {
    [](jobs_accepted&) {},
    [](job_query&) {},
    [](callbacks_query&) {},
    [](const stats_query&) {},
    [](const metrics_query&) {},
    [](const adapter_changed&) {},
    [j](const job_done& d) {
      std::lock_guard<std::mutex> lock{j->mtx};
      j->done.push_back(d);
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

bool eventually(const std::function<bool()>& pred,
                std::chrono::milliseconds limit = 3s) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (pred())
      return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

struct JobActor : ::testing::Test {
  std::filesystem::path dir;
  std::unique_ptr<store::db> db;
  std::unique_ptr<store::group_commit> commit;
  std::unique_ptr<caf::actor_system_config> cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::shared_ptr<journal> seen = std::make_shared<journal>();
  std::shared_ptr<job_context> ctx = std::make_shared<job_context>();
  adapter_actor adapter;
  std::vector<job_actor> jobs;

  void SetUp() override {
    dir = std::filesystem::temp_directory_path()
      / ("ns_job_actor_test_" + std::to_string(::getpid()) + "_"
         + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir);
    config::store_options opts;
    opts.path = dir.string();
    db = std::move(*store::db::open(opts));
    commit = std::make_unique<store::group_commit>(*db, 64, 1000);
    cfg = std::make_unique<caf::actor_system_config>();
    cfg->set("scheduler.max-threads", size_t{2});
    sys = std::make_unique<caf::actor_system>(*cfg);
    // The adapter's retry policy comes from the registry snapshot.
    auto snap = std::make_shared<registry_snapshot>();
    adapter_record rec;
    rec.name = "hook";
    rec.retry = retry_policy{3, 20, 40};
    snap->put(
      std::make_shared<const adapter_entry>(adapter_entry{rec, {}, {}}));
    ctx->view = std::make_shared<registry_view>();
    ctx->view->publish(snap);
    ctx->commit = commit.get();
    ctx->repeater = sys->spawn(repeater, uint64_t{7});
    ctx->manager = sys->spawn(fake_manager, seen);
    adapter = sys->spawn(fake_adapter, seen);
  }

  void TearDown() override {
    commit->stop();
    for (auto& j : jobs)
      caf::anon_send_exit(j, caf::exit_reason::user_shutdown);
    jobs.clear();
    caf::anon_send_exit(ctx->repeater, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(ctx->manager, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(adapter, caf::exit_reason::user_shutdown);
    ctx.reset();
    adapter = adapter_actor{};
    sys->await_all_actors_done();
    sys.reset();
    std::filesystem::remove_all(dir);
  }

  job_record fresh(std::string id, uint64_t ttl_ms = 60'000) {
    job_record j;
    j.id = std::move(id);
    j.client_id = "cl_1";
    j.adapter = "hook";
    j.params = "{}";
    j.create_ms = clock::now_ms();
    j.expire_ms = j.create_ms + ttl_ms;
    return j;
  }

  job_actor spawn(job_record j) {
    auto hdl
      = sys->spawn(job, resident_job{j}, std::vector<std::string>{}, 1, adapter,
                   std::shared_ptr<const job_context>{ctx}, false);
    jobs.push_back(hdl);
    return hdl;
  }

  std::optional<job_record> stored(const std::string& id) {
    auto v = db->get(store::cf::jobs, store::keys::job(id));
    if (!v || !v->has_value())
      return std::nullopt;
    return *decode_job(**v);
  }

  caf::expected<job_record> take(caf::scoped_actor& me, const job_actor& j) {
    caf::expected<job_record> out{caf::error{}};
    me->request(j, 2s, take_job{caf::actor_cast<caf::actor>(me)})
      .receive(
        [&](job_record& r) {
          out = std::move(r);
        },
        [&](caf::error& e) {
          out = std::move(e);
        });
    return out;
  }
};

} // namespace

TEST_F(JobActor, QueuedJobIsEnqueuedTakenAndSucceeds) {
  auto j = spawn(fresh("j1"));
  ASSERT_TRUE(eventually([&] {
    return seen->enqueued_count() == 1;
  }));
  {
    caf::scoped_actor me{*sys};
    auto rec = take(me, j);
    ASSERT_TRUE(rec) << message_of(rec.error());
    EXPECT_EQ(rec->state, job_state::running);
    EXPECT_EQ(rec->attempts, 1u);
    EXPECT_NE(rec->start_ms, 0u);
    // Taken once: a second instance gets nothing.
    EXPECT_FALSE(take(me, j));
    attempt_result ok;
    ok.outcome = attempt_result::kind::succeeded;
    caf::anon_send(j, ok);
  }
  ASSERT_TRUE(eventually([&] {
    return seen->done_count() == 1;
  }));
  EXPECT_EQ(seen->done[0].job.state, job_state::succeeded);
  auto s = stored("j1");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, job_state::succeeded);
  EXPECT_NE(s->finish_ms, 0u);
}

// The manager queues a fresh job at its adapter itself and spawns its actor
// with lazy_init: the actor must not queue it a second time, and it starts
// (and runs) when the instance's take arrives.
TEST_F(JobActor, JobQueuedByTheManagerStartsAtItsFirstMessage) {
  auto j = sys->spawn<caf::lazy_init>(
    job, resident_job{fresh("jl")}, std::vector<std::string>{}, 1, adapter,
    std::shared_ptr<const job_context>{ctx}, true);
  jobs.push_back(j);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(seen->enqueued_count(), 0u);
  EXPECT_FALSE(stored("jl")); // nothing written before it starts
  caf::scoped_actor me{*sys};
  auto rec = take(me, j);
  ASSERT_TRUE(rec) << message_of(rec.error());
  EXPECT_EQ(rec->state, job_state::running);
  attempt_result ok;
  ok.outcome = attempt_result::kind::succeeded;
  caf::anon_send(j, ok);
  ASSERT_TRUE(eventually([&] {
    return seen->done_count() == 1;
  }));
  EXPECT_EQ(seen->enqueued_count(), 0u);
  ASSERT_TRUE(stored("jl"));
  EXPECT_EQ(stored("jl")->state, job_state::succeeded);
}

TEST_F(JobActor, RetryableFailureWaitsThenQueuesAgainUntilAttemptsRunOut) {
  auto j = spawn(fresh("j2"));
  caf::scoped_actor me{*sys};
  attempt_result fail;
  fail.outcome = attempt_result::kind::failed;
  fail.retryable = true;
  fail.message = "HTTP 503";
  for (size_t round = 1; round <= 3; ++round) {
    ASSERT_TRUE(eventually([&] {
      return seen->enqueued_count() == round;
    }))
      << "round " << round;
    auto rec = take(me, j);
    ASSERT_TRUE(rec);
    EXPECT_EQ(rec->attempts, round);
    caf::anon_send(j, fail);
  }
  // max_attempts = 3: the third failure is the last.
  ASSERT_TRUE(eventually([&] {
    return seen->done_count() == 1;
  }));
  auto& last = seen->done[0].job;
  EXPECT_EQ(last.state, job_state::failed);
  EXPECT_NE(last.last_error.find("gave up after 3 attempts"), std::string::npos)
    << last.last_error;
  EXPECT_EQ(seen->enqueued_count(), 3u);
}

TEST_F(JobActor, PermanentFailureEndsAtOnce) {
  auto j = spawn(fresh("j3"));
  ASSERT_TRUE(eventually([&] {
    return seen->enqueued_count() == 1;
  }));
  caf::scoped_actor me{*sys};
  ASSERT_TRUE(take(me, j));
  attempt_result fail;
  fail.outcome = attempt_result::kind::failed;
  fail.message = "HTTP 400: bad recipient";
  caf::anon_send(j, fail);
  ASSERT_TRUE(eventually([&] {
    return seen->done_count() == 1;
  }));
  EXPECT_EQ(seen->done[0].job.state, job_state::failed);
  EXPECT_EQ(seen->done[0].job.last_error, "HTTP 400: bad recipient");
}

TEST_F(JobActor, CancelIsAnsweredDurablyAndFinalStatesNeverChange) {
  auto j = spawn(fresh("j4"));
  caf::scoped_actor me{*sys};
  job_record answer;
  me->request(j, 2s, job_request{job_query_kind::cancel, {}})
    .receive(
      [&](job_record& r) {
        answer = r;
      },
      [&](caf::error& e) {
        FAIL() << message_of(e);
      });
  EXPECT_EQ(answer.state, job_state::canceled);
  // The answer came after the write: the store already says so.
  auto s = stored("j4");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, job_state::canceled);
  ASSERT_TRUE(eventually([&] {
    return seen->done_count() == 1;
  }));
}

TEST_F(JobActor, CancelWhileRunningWaitsForTheAttempt) {
  auto j = spawn(fresh("j5"));
  ASSERT_TRUE(eventually([&] {
    return seen->enqueued_count() == 1;
  }));
  caf::scoped_actor me{*sys};
  ASSERT_TRUE(take(me, j));
  job_record answer;
  me->request(j, 2s, job_request{job_query_kind::cancel, {}})
    .receive(
      [&](job_record& r) {
        answer = r;
      },
      [&](caf::error& e) {
        FAIL() << message_of(e);
      });
  EXPECT_EQ(answer.state, job_state::canceling);
  // Asking again answers at once: that state is durable already.
  me->request(j, 500ms, job_request{job_query_kind::cancel, {}})
    .receive(
      [&](job_record& r) {
        EXPECT_EQ(r.state, job_state::canceling);
      },
      [&](caf::error& e) {
        FAIL() << message_of(e);
      });
  attempt_result not_sent;
  not_sent.outcome = attempt_result::kind::not_sent;
  caf::anon_send(j, not_sent);
  ASSERT_TRUE(eventually([&] {
    return seen->done_count() == 1;
  }));
  EXPECT_EQ(seen->done[0].job.state, job_state::canceled);
}

TEST_F(JobActor, CancelDuringARetryDecisionEndsCanceled) {
  auto j = spawn(fresh("j8"));
  ASSERT_TRUE(eventually([&] {
    return seen->enqueued_count() == 1;
  }));
  caf::scoped_actor me{*sys};
  ASSERT_TRUE(take(me, j));
  attempt_result fail;
  fail.outcome = attempt_result::kind::failed;
  fail.retryable = true;
  fail.message = "HTTP 503";
  // The failure and the cancel race; whichever comes first, the job must
  // end canceled and never be queued again.
  caf::anon_send(j, fail);
  me->request(j, 2s, job_request{job_query_kind::cancel, {}})
    .receive([](job_record&) {}, [](caf::error&) {});
  ASSERT_TRUE(eventually([&] {
    return seen->done_count() == 1;
  }));
  EXPECT_EQ(seen->done[0].job.state, job_state::canceled);
  EXPECT_EQ(seen->enqueued_count(), 1u);
}

TEST_F(JobActor, ExpiresWhenToldAndNotBeforeItsExpireTime) {
  auto started = clock::now_ms();
  auto j = spawn(fresh("j6", 150));
  // The manager's due timer may fire a little early: the job then looks
  // again at its real instant instead of expiring early.
  caf::anon_send(j, job_event{job_signal::expire});
  ASSERT_TRUE(eventually([&] {
    return seen->done_count() == 1;
  }));
  auto& last = seen->done[0].job;
  EXPECT_EQ(last.state, job_state::expired);
  EXPECT_GE(last.finish_ms, started + 150);
  EXPECT_EQ(last.attempts, 0u);
}

TEST_F(JobActor, RunningJobFoundAfterACrashIsDeliveredAgain) {
  auto j = fresh("j7");
  j.state = job_state::running;
  j.attempts = 1;
  j.start_ms = j.create_ms;
  auto hdl = spawn(j);
  ASSERT_TRUE(eventually([&] {
    return seen->enqueued_count() == 1;
  }));
  caf::scoped_actor me{*sys};
  auto rec = take(me, hdl);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->attempts, 2u);
  EXPECT_EQ(rec->id, "j7");
}

TEST_F(JobActor, InstanceLostWithoutAResultQueuesTheJobAgain) {
  auto j = spawn(fresh("j9"));
  ASSERT_TRUE(eventually([&] {
    return seen->enqueued_count() == 1;
  }));
  {
    // An instance that takes the job and then dies without a result.
    caf::scoped_actor gone{*sys};
    ASSERT_TRUE(take(gone, j));
  }
  ASSERT_TRUE(eventually([&] {
    return seen->enqueued_count() == 2;
  }));
  caf::scoped_actor me{*sys};
  auto rec = take(me, j);
  ASSERT_TRUE(rec) << message_of(rec.error());
  EXPECT_EQ(rec->id, "j9");
  EXPECT_EQ(rec->attempts, 2u);
  EXPECT_NE(rec->last_error.find("instance was lost"), std::string::npos)
    << rec->last_error;
  attempt_result ok;
  ok.outcome = attempt_result::kind::succeeded;
  caf::anon_send(j, ok);
  ASSERT_TRUE(eventually([&] {
    return seen->done_count() == 1;
  }));
  EXPECT_EQ(seen->done[0].job.state, job_state::succeeded);
  EXPECT_EQ(seen->enqueued_count(), 2u);
}

TEST_F(JobActor, InstanceLostWhileCancelingEndsCanceled) {
  auto j = spawn(fresh("j10"));
  ASSERT_TRUE(eventually([&] {
    return seen->enqueued_count() == 1;
  }));
  caf::scoped_actor me{*sys};
  {
    caf::scoped_actor gone{*sys};
    ASSERT_TRUE(take(gone, j));
    me->request(j, 2s, job_request{job_query_kind::cancel, {}})
      .receive(
        [](job_record& r) {
          EXPECT_EQ(r.state, job_state::canceling);
        },
        [](caf::error& e) {
          FAIL() << message_of(e);
        });
  }
  ASSERT_TRUE(eventually([&] {
    return seen->done_count() == 1;
  }));
  EXPECT_EQ(seen->done[0].job.state, job_state::canceled);
  EXPECT_EQ(seen->enqueued_count(), 1u);
}

TEST_F(JobActor, RequeueOnlyMovesAQueuedJob) {
  auto j = spawn(fresh("j11"));
  ASSERT_TRUE(eventually([&] {
    return seen->enqueued_count() == 1;
  }));
  // Handed to an instance that left before taking it: queued again.
  caf::anon_send(j, job_event{job_signal::requeue});
  ASSERT_TRUE(eventually([&] {
    return seen->enqueued_count() == 2;
  }));
  caf::scoped_actor me{*sys};
  ASSERT_TRUE(take(me, j));
  // Running: a stray requeue changes nothing.
  caf::anon_send(j, job_event{job_signal::requeue});
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(seen->enqueued_count(), 2u);
  attempt_result ok;
  ok.outcome = attempt_result::kind::succeeded;
  caf::anon_send(j, ok);
  ASSERT_TRUE(eventually([&] {
    return seen->done_count() == 1;
  }));
}

// -- the adapter's queue ------------------------------------------------------

namespace {

/// Stands in for a job: answers with its name, so that the order of the
/// work items can be read.
caf::behavior named_job(caf::event_based_actor*, std::string name) {
  return {
    [name](atom::attach) {
      return name;
    },
  };
}

caf::behavior recording_instance(caf::event_based_actor* self,
                                 std::shared_ptr<journal> j) {
  return {
    [self, j](const work_item& w) {
      // Asked in arrival order and answered in that order (each job answers
      // at once), so the journal keeps the hand-out order.
      self->request(w.job, 2s, atom::attach::value)
        .await([j](const std::string& name) {
          std::lock_guard<std::mutex> lock{j->mtx};
          j->enqueued.push_back(name);
        });
    },
    [](const adapter_changed&) {},
  };
}

} // namespace

TEST_F(JobActor, AdapterHandsOutByPriorityThenArrivalAndOnlyOnCredit) {
  auto entry = ctx->view->get()->adapters.at("hook");
  auto external = std::make_shared<adapter_entry>(*entry);
  external->rec.type = adapter_type::external; // no built-in instance
  auto ad
    = sys->spawn(ns::adapter, std::shared_ptr<const adapter_entry>{external},
                 std::shared_ptr<const job_context>{ctx});
  auto out = std::make_shared<journal>();
  auto inst = sys->spawn(recording_instance, out);
  uint64_t seq = 0;
  std::vector<caf::actor> stand_ins;
  for (auto [id, prio] : std::vector<std::pair<std::string, job_priority>>{
         {"low-1", job_priority::low},
         {"normal-1", job_priority::normal},
         {"high-1", job_priority::high},
         {"normal-2", job_priority::normal},
         {"high-2", job_priority::high}}) {
    stand_ins.push_back(sys->spawn(named_job, id));
    caf::anon_send(ad, enqueue_job{stand_ins.back(), prio, ++seq});
  }
  // No credit yet: nothing moves.
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(out->enqueued_count(), 0u);
  caf::anon_send(ad, want_work{inst, 3});
  ASSERT_TRUE(eventually([&] {
    return out->enqueued_count() == 3;
  }));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(out->enqueued_count(), 3u); // credit 3: exactly 3
  caf::anon_send(ad, want_work{inst, 10});
  ASSERT_TRUE(eventually([&] {
    return out->enqueued_count() == 5;
  }));
  EXPECT_EQ(out->enqueued,
            (std::vector<std::string>{"high-1", "high-2", "normal-1",
                                      "normal-2", "low-1"}));
  caf::anon_send_exit(ad, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(inst, caf::exit_reason::user_shutdown);
  for (auto& x : stand_ins)
    caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
}
