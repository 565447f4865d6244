// The SDK's own rate: a no-op handler behind the real SDK, fed by a stand-in
// nsd (a ROUTER in this process that speaks the protocol and sends jobs as
// fast as credit allows). nsd is not involved: this is the ceiling the SDK
// puts on an adapter.
//
//   adapter_sdk_bench [jobs=200000] [credit=64] [workers=1]

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "net/adapter_sdk/adapter.hpp"
#include "net/adapter_sdk/protocol.hpp"

namespace proto = ns::adapter_protocol;

int main(int argc, char** argv) {
  uint64_t jobs = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 200'000;
  uint32_t credit = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 64;
  unsigned workers = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 1;
  zmq::context_t ctx{1};
  zmq::socket_t router{ctx, zmq::socket_type::router};
  router.set(zmq::sockopt::linger, 0);
  router.bind("tcp://127.0.0.1:*");
  auto endpoint = router.get(zmq::sockopt::last_endpoint);

  ns::adapter_sdk::options opts;
  opts.endpoint = endpoint;
  opts.key = "nsa_bench";
  opts.credit = credit;
  opts.workers = workers;
  ns::adapter_sdk::adapter ad{opts, [](const ns::adapter_sdk::job&) {
                                return ns::adapter_sdk::result::succeeded();
                              }};
  std::thread runner{[&] {
    ad.run();
  }};

  proto::job j;
  j.priority = "normal";
  j.create_time = "2026-11-23T10:00:00.000Z";
  j.expire_time = "2030-01-01T00:00:00.000Z";
  j.expire_at_ms = 1'893'456'000'000;
  const std::string params = R"({"to":"a@example.com","text":"hello"})";
  std::string peer;
  uint64_t sent = 0, done = 0, window = 0;
  std::chrono::steady_clock::time_point start;
  auto send_jobs = [&] {
    while (window > 0 && sent < jobs) {
      j.job_id = "n1-" + std::to_string(sent);
      auto body = proto::encode(j, params);
      router.send(zmq::buffer(peer), zmq::send_flags::sndmore);
      router.send(zmq::str_buffer("job"), zmq::send_flags::sndmore);
      router.send(zmq::buffer(body));
      ++sent;
      --window;
    }
  };
  while (done < jobs) {
    std::vector<zmq::message_t> f;
    for (;;) {
      zmq::message_t m;
      (void)router.recv(m);
      bool more = m.more();
      f.push_back(std::move(m));
      if (!more)
        break;
    }
    if (f.size() != 3)
      continue;
    auto type = proto::parse_type(f[1].to_string_view());
    std::string why;
    if (type == proto::msg_type::hello) {
      auto h = proto::decode_hello(f[2].to_string_view(), why);
      peer = f[0].to_string();
      window = h->credit;
      auto w = proto::encode(proto::welcome{"ins_bench", "bench", 1000, 5000});
      router.send(zmq::buffer(peer), zmq::send_flags::sndmore);
      router.send(zmq::str_buffer("welcome"), zmq::send_flags::sndmore);
      router.send(zmq::buffer(w));
      start = std::chrono::steady_clock::now();
      send_jobs();
    } else if (type == proto::msg_type::result) {
      auto r = proto::decode_result(f[2].to_string_view(), why);
      ++done;
      window += r->credit;
      send_jobs();
    }
  }
  auto secs
    = std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
        .count();
  std::printf("adapter SDK, no-op handler: %llu jobs in %.2f s = %.0f jobs/s "
              "(credit %u, workers %u, tcp loopback)\n",
              static_cast<unsigned long long>(jobs), secs,
              static_cast<double>(jobs) / secs, credit, workers);
  ad.stop();
  runner.join();
  return 0;
}
