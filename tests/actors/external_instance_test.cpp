// The proxy of an external adapter instance between its adapter's queue and
// the instance: the link to the instance records what it is told; the job
// actors are stand-ins that answer take_job when told to; the adapter is the
// real adapter actor where its part is tested.

#include <mutex>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <gtest/gtest.h>

#include "actors/adapter_actor.hpp"
#include "actors/external_instance.hpp"
#include "config/error.hpp"

using namespace ns;
using namespace std::chrono_literals;

namespace {

/// What the instance was told, as "welcome", "job <id>", "bye <code>".
class recording_link : public adapter_link {
public:
  void send_welcome(const std::string&, const std::string&,
                    const std::string&) override {
    add("welcome");
  }
  void send_job(const std::string&, const job_record& job) override {
    add("job " + job.id);
  }
  void send_cancel(const std::string&, const std::string& id) override {
    add("cancel " + id);
  }
  void send_heartbeat(const std::string&) override {
  }
  void close(const std::string&, const std::string& code,
             const std::string&) override {
    add("bye " + code);
  }

  std::vector<std::string> said() {
    std::lock_guard<std::mutex> lock{mtx_};
    return said_;
  }

private:
  void add(std::string x) {
    std::lock_guard<std::mutex> lock{mtx_};
    said_.push_back(std::move(x));
  }

  std::mutex mtx_;
  std::vector<std::string> said_;
};

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

/// Answers the proxy's attach with `adapter`.
caf::behavior manager_of(caf::event_based_actor*, caf::actor adapter) {
  return {
    [adapter](atom::attach, const std::string&) {
      return adapter;
    },
  };
}

struct held_take {
  caf::response_promise answer;
};

/// A job actor that answers take_job only after `delay`: with `rec`, or
/// with an error when `rec` has no id (canceled while queued).
caf::behavior slow_job(caf::stateful_actor<held_take>* self, job_record rec,
                       std::chrono::milliseconds delay) {
  return {
    [self, delay](const take_job&) {
      self->state.answer = self->make_response_promise();
      self->delayed_send(self, delay, atom::wake::value);
    },
    [self, rec](atom::wake) {
      if (rec.id.empty())
        self->state.answer.deliver(make_error(ec::conflict, "canceled"));
      else
        self->state.answer.deliver(rec);
    },
  };
}

/// An adapter whose queue holds `jobs`, in this order, handed out as
/// credit comes.
caf::behavior queue_of(caf::event_based_actor*,
                       std::shared_ptr<const adapter_entry> entry,
                       std::shared_ptr<std::vector<caf::actor>> jobs) {
  return {
    [entry](atom::attach, const caf::actor&) {
      return adapter_changed{entry->rec.name, entry};
    },
    [jobs](const want_work& w) {
      for (uint32_t i = 0; i < w.credit && !jobs->empty(); ++i) {
        caf::anon_send(w.instance, work_item{jobs->front()});
        jobs->erase(jobs->begin());
      }
    },
    [](atom::detach, const caf::actor&) {
      return true;
    },
  };
}

struct ExternalInstance : ::testing::Test {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  recording_link link;
  std::shared_ptr<instance_board> board = std::make_shared<instance_board>();
  std::vector<caf::actor> actors;

  void SetUp() override {
    cfg.set("scheduler.max-threads", size_t{2});
    sys = std::make_unique<caf::actor_system>(cfg);
  }

  void TearDown() override {
    for (auto& x : actors)
      caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
    actors.clear();
    sys->await_all_actors_done();
    sys.reset();
  }

  static std::shared_ptr<const adapter_entry> entry(std::string key_hash,
                                                    bool blocked = false) {
    adapter_record rec;
    rec.name = "relay";
    rec.type = adapter_type::external;
    rec.key_hash = std::move(key_hash);
    rec.blocked = blocked;
    return std::make_shared<const adapter_entry>(adapter_entry{rec, {}, {}});
  }

  template <class... Ts>
  caf::actor spawn(Ts&&... xs) {
    actors.push_back(
      caf::actor_cast<caf::actor>(sys->spawn(std::forward<Ts>(xs)...)));
    return actors.back();
  }

  /// A proxy of an instance that said hello with `key_hash` and `credit`.
  caf::actor proxy(const caf::actor& adapter, std::string key_hash,
                   uint32_t credit) {
    auto info = std::make_shared<instance_info>();
    info->id = "ins_1";
    info->adapter = "relay";
    external_instance_config c;
    c.link = &link;
    c.board = board;
    c.manager = caf::actor_cast<job_manager_actor>(spawn(manager_of, adapter));
    c.peer = "peer-1";
    c.adapter = "relay";
    c.key_hash = std::move(key_hash);
    c.credit = credit;
    c.timeout = 60s;
    return spawn(external_instance, std::move(info), std::move(c));
  }

  bool said(const std::string& x) {
    auto xs = link.said();
    return std::find(xs.begin(), xs.end(), x) != xs.end();
  }
};

} // namespace

TEST_F(ExternalInstance, JobsGoOutInQueueOrderWhateverOrderTheirTakesEnd) {
  // The queue hands over a, b, c, d; their job actors answer in the reverse
  // order, and b not at all (canceled while queued).
  auto rec = [](std::string id) {
    job_record r;
    r.id = std::move(id);
    return r;
  };
  auto jobs = std::make_shared<std::vector<caf::actor>>();
  jobs->push_back(spawn(slow_job, rec("a"), 160ms));
  jobs->push_back(spawn(slow_job, job_record{}, 10ms));
  jobs->push_back(spawn(slow_job, rec("c"), 80ms));
  jobs->push_back(spawn(slow_job, rec("d"), 40ms));
  auto adapter = spawn(queue_of, entry("h"), jobs);
  proxy(adapter, "h", 4);
  ASSERT_TRUE(eventually([&] {
    return link.said().size() == 4;
  }))
    << link.said().size();
  EXPECT_EQ(link.said(),
            (std::vector<std::string>{"welcome", "job a", "job c", "job d"}));
}

TEST_F(ExternalInstance, WithoutCreditItStillHearsAdminChanges) {
  auto adapter = caf::actor_cast<caf::actor>(
    spawn(ns::adapter, entry("h"), std::make_shared<const job_context>()));
  proxy(adapter, "h", 0);
  ASSERT_TRUE(eventually([&] {
    return said("welcome");
  }));
  EXPECT_EQ(board->of("relay").size(), 1u);
  caf::anon_send(adapter, adapter_changed{"relay", entry("h", true)});
  ASSERT_TRUE(eventually([&] {
    return said("bye adapter_blocked");
  }))
    << "an instance without credit was not told";
  EXPECT_EQ(board->of("relay").size(), 0u);
}

TEST_F(ExternalInstance, AKeyRotatedSinceTheHelloEndsItBeforeTheWelcome) {
  // The gateway checked the hello against the old key; the adapter has the
  // new one by the time the proxy joins it.
  auto adapter = caf::actor_cast<caf::actor>(
    spawn(ns::adapter, entry("new"), std::make_shared<const job_context>()));
  proxy(adapter, "old", 1);
  ASSERT_TRUE(eventually([&] {
    return said("bye key_rotated");
  }));
  EXPECT_EQ(link.said(), std::vector<std::string>{"bye key_rotated"});
  EXPECT_EQ(board->of("relay").size(), 0u);
}
