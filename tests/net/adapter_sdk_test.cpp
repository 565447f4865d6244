// The adapter SDK against a stand-in nsd: a ROUTER in the test that speaks the
// protocol frame by frame, so every SDK duty is checked on the wire.

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include <gtest/gtest.h>
#include <zmq.hpp>

#include "net/adapter_sdk/adapter.hpp"
#include "net/adapter_sdk/protocol.hpp"

namespace proto = ns::adapter_protocol;
namespace sdk = ns::adapter_sdk;
using namespace std::chrono_literals;

namespace {

uint64_t now_ms() {
  return static_cast<uint64_t>(
    std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch())
      .count());
}

struct frame {
  std::string peer;
  std::string type;
  std::string body;
};

struct fake_nsd {
  zmq::context_t ctx{1};
  zmq::socket_t router{ctx, zmq::socket_type::router};
  std::string endpoint;

  fake_nsd() {
    router.set(zmq::sockopt::linger, 0);
    router.bind("tcp://127.0.0.1:*");
    endpoint = router.get(zmq::sockopt::last_endpoint);
  }

  /// The next message that is not a heartbeat.
  std::optional<frame> recv(std::chrono::milliseconds limit = 3s) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      zmq::pollitem_t item{router.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, 50ms);
      if (!(item.revents & ZMQ_POLLIN))
        continue;
      std::vector<zmq::message_t> fs;
      for (;;) {
        zmq::message_t m;
        (void)router.recv(m);
        bool more = m.more();
        fs.push_back(std::move(m));
        if (!more)
          break;
      }
      if (fs.size() != 3)
        continue;
      frame f{fs[0].to_string(), fs[1].to_string(), fs[2].to_string()};
      if (f.type != "heartbeat")
        return f;
    }
    return std::nullopt;
  }

  void send(const std::string& peer, std::string_view type,
            const std::string& body) {
    router.send(zmq::buffer(peer), zmq::send_flags::sndmore);
    router.send(zmq::buffer(type), zmq::send_flags::sndmore);
    router.send(zmq::buffer(body));
  }

  /// Waits for a hello and welcomes it; returns the peer.
  std::string welcome(uint32_t expect_credit) {
    auto f = recv();
    EXPECT_TRUE(f);
    if (!f)
      return {};
    EXPECT_EQ(f->type, "hello");
    std::string why;
    auto h = proto::decode_hello(f->body, why);
    EXPECT_TRUE(h) << why;
    if (h) {
      EXPECT_EQ(h->protocol, 1);
      EXPECT_EQ(h->key, "nsa_test");
      EXPECT_EQ(h->credit, expect_credit);
    }
    send(f->peer, "welcome",
         proto::encode(proto::welcome{"ins_1", "relay", 100, 1000}));
    return f->peer;
  }

  void job(const std::string& peer, const std::string& id,
           uint64_t expire_at_ms) {
    proto::job j;
    j.job_id = id;
    j.idempotency_key = "k-" + id;
    j.attempt = 1;
    j.expire_at_ms = expire_at_ms;
    send(peer, "job", proto::encode(j, R"({"n":1})"));
  }

  proto::result result() {
    auto f = recv();
    EXPECT_TRUE(f);
    if (!f)
      return {};
    EXPECT_EQ(f->type, "result") << f->body;
    std::string why;
    auto r = proto::decode_result(f->body, why);
    EXPECT_TRUE(r) << why << ": " << f->body;
    return r ? *r : proto::result{};
  }
};

struct running_adapter {
  sdk::adapter ad;
  std::string outcome;
  std::thread runner;

  running_adapter(sdk::options opts, sdk::handler fn)
    : ad(std::move(opts), std::move(fn)) {
    runner = std::thread{[this] {
      outcome = ad.run();
    }};
  }
  ~running_adapter() {
    ad.stop();
    runner.join();
  }
};

sdk::options options_for(const fake_nsd& nsd, uint32_t credit,
                         unsigned workers) {
  sdk::options o;
  o.endpoint = nsd.endpoint;
  o.key = "nsa_test";
  o.credit = credit;
  o.workers = workers;
  o.backoff_min = 20ms;
  return o;
}

} // namespace

TEST(AdapterSdk, RunsTheHandlerAndRefusesExpiredJobsUnrun) {
  fake_nsd nsd;
  std::atomic<int> calls{0};
  std::string seen_key;
  running_adapter run{options_for(nsd, 2, 1), [&](const sdk::job& j) {
                        calls += 1;
                        seen_key = j.idempotency_key;
                        EXPECT_EQ(j.params.as_object().at("n").as_int64(), 1);
                        return sdk::result::failed(true, "busy", 1500);
                      }};
  auto peer = nsd.welcome(2);
  nsd.job(peer, "old", now_ms() - 1);
  auto r = nsd.result();
  EXPECT_EQ(r.job_id, "old");
  EXPECT_EQ(r.what, proto::outcome::expired);
  EXPECT_EQ(r.credit, 1u);
  EXPECT_EQ(calls.load(), 0);
  nsd.job(peer, "new", now_ms() + 60'000);
  r = nsd.result();
  EXPECT_EQ(r.job_id, "new");
  EXPECT_EQ(r.what, proto::outcome::failed);
  EXPECT_TRUE(r.retryable);
  EXPECT_EQ(r.message, "busy");
  EXPECT_EQ(r.retry_after_ms, 1500u);
  EXPECT_EQ(r.credit, 1u);
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(seen_key, "k-new");
}

TEST(AdapterSdk, CancelAnswersWaitingJobsAtOnceAndTellsRunningOnes) {
  fake_nsd nsd;
  std::atomic<int> calls{0};
  running_adapter run{options_for(nsd, 2, 1), [&](const sdk::job& j) {
                        calls += 1;
                        if (j.sleep_unless_canceled(10s))
                          return sdk::result::canceled();
                        return sdk::result::succeeded();
                      }};
  auto peer = nsd.welcome(2);
  nsd.job(peer, "a", now_ms() + 60'000);
  nsd.job(peer, "b", now_ms() + 60'000);
  std::this_thread::sleep_for(100ms); // a runs, b waits for the one worker
  nsd.send(peer, "cancel", proto::encode(proto::cancel{"b"}));
  auto r = nsd.result();
  EXPECT_EQ(r.job_id, "b");
  EXPECT_EQ(r.what, proto::outcome::canceled);
  EXPECT_EQ(calls.load(), 1);
  auto t0 = std::chrono::steady_clock::now();
  nsd.send(peer, "cancel", proto::encode(proto::cancel{"a"}));
  r = nsd.result();
  EXPECT_EQ(r.job_id, "a");
  EXPECT_EQ(r.what, proto::outcome::canceled);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_EQ(calls.load(), 1);
}

TEST(AdapterSdk, SaysHelloAgainWhenNsdForgetsIt) {
  fake_nsd nsd;
  running_adapter run{options_for(nsd, 3, 1), [](const sdk::job&) {
                        return sdk::result::succeeded();
                      }};
  auto first = nsd.welcome(3);
  // A restarted nsd answers the old session's heartbeats like this.
  nsd.send(first, "bye",
           proto::encode(proto::refusal{"unknown_instance", "no session"}));
  auto second = nsd.welcome(3);
  EXPECT_NE(first, second); // a new connection
  nsd.job(second, "x", now_ms() + 60'000);
  EXPECT_EQ(nsd.result().what, proto::outcome::succeeded);
  EXPECT_EQ(run.ad.counters().sessions, 2u);
}

TEST(AdapterSdk, ReconnectsWhenNsdGoesSilent) {
  fake_nsd nsd;
  running_adapter run{options_for(nsd, 1, 1), [](const sdk::job&) {
                        return sdk::result::succeeded();
                      }};
  auto first = nsd.welcome(1);
  // No heartbeats from this nsd: after timeout_ms (1 s) a new hello.
  auto f = nsd.recv(4s);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->type, "hello");
  EXPECT_NE(f->peer, first);
}

TEST(AdapterSdk, ABadKeyEndsRun) {
  fake_nsd nsd;
  sdk::adapter ad{options_for(nsd, 1, 1), [](const sdk::job&) {
                    return sdk::result::succeeded();
                  }};
  std::string outcome;
  std::thread runner{[&] {
    outcome = ad.run();
  }};
  auto f = nsd.recv();
  ASSERT_TRUE(f);
  nsd.send(f->peer, "refuse",
           proto::encode(proto::refusal{"bad_key", "unknown adapter key"}));
  runner.join();
  EXPECT_EQ(outcome, "bad_key: unknown adapter key");
}
