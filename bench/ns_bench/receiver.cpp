#include "ns_bench/receiver.hpp"

#include <atomic>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "ns_bench/http_head.hpp"
#include "ns_bench/load.hpp"

namespace ns::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr std::string_view ok_answer = "HTTP/1.1 200 OK\r\n"
                                       "Content-Length: 0\r\n\r\n";

} // namespace

struct receiver::impl {
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  std::thread thread;
  std::atomic<uint64_t> delivered{0};
  std::atomic<uint64_t> last_ns{0};
  mutable std::mutex mtx;
  histogram latency;

  void accept();
  void record(std::string_view body);
};

namespace {

/// One connection from nsd's outbound client; owns itself via shared_ptr.
struct session : std::enable_shared_from_this<session> {
  session(tcp::socket s, receiver::impl& r) : sock(std::move(s)), rx(r) {
  }

  void read() {
    if (have == buf.size())
      buf.resize(buf.size() * 2);
    sock.async_read_some(
      asio::buffer(buf.data() + have, buf.size() - have),
      [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
        if (!ec)
          self->on_read(n);
      });
  }

  void on_read(std::size_t n) {
    have += n;
    std::size_t answers = 0;
    // Handle every whole request in the buffer (pipelining costs nothing).
    for (;;) {
      http_head head;
      bool ok = true;
      if (!parse_head({buf.data(), have}, false, head, ok))
        break;
      if (!ok || head.chunked)
        return; // drop the connection
      auto total = head.head_bytes + head.content_length;
      if (have < total) {
        if (buf.size() < total)
          buf.resize(total);
        break;
      }
      rx.record({buf.data() + head.head_bytes, head.content_length});
      std::memmove(buf.data(), buf.data() + total, have - total);
      have -= total;
      ++answers;
    }
    if (answers == 0) {
      read();
      return;
    }
    out.clear();
    for (std::size_t i = 0; i < answers; ++i)
      out.append(ok_answer);
    asio::async_write(
      sock, asio::buffer(out),
      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
        if (!ec)
          self->read();
      });
  }

  tcp::socket sock;
  receiver::impl& rx;
  std::vector<char> buf = std::vector<char>(16 * 1024);
  std::size_t have = 0;
  std::string out;
};

} // namespace

void receiver::impl::accept() {
  acceptor.async_accept([this](boost::system::error_code ec, tcp::socket s) {
    if (ec)
      return;
    s.set_option(tcp::no_delay{true});
    std::make_shared<session>(std::move(s), *this)->read();
    accept();
  });
}

void receiver::impl::record(std::string_view body) {
  auto now = steady_now_ns();
  if (auto t = find_json_uint(body, "\"t\":"); t > stamp_of(0)) {
    auto sent = t - stamp_of(0);
    std::lock_guard<std::mutex> guard{mtx};
    latency.record(now > sent ? now - sent : 0);
  }
  last_ns.store(now, std::memory_order_relaxed);
  delivered.fetch_add(1, std::memory_order_relaxed);
}

receiver::receiver() : impl_(std::make_unique<impl>()) {
  tcp::endpoint ep{asio::ip::make_address("127.0.0.1"), 0};
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen(asio::socket_base::max_listen_connections);
  impl_->accept();
  impl_->thread = std::thread{[this] {
    impl_->ioc.run();
  }};
}

receiver::~receiver() {
  impl_->ioc.stop();
  impl_->thread.join();
}

std::string receiver::url() const {
  return "http://127.0.0.1:"
    + std::to_string(impl_->acceptor.local_endpoint().port()) + "/hook";
}

uint64_t receiver::delivered() const {
  return impl_->delivered.load(std::memory_order_relaxed);
}

histogram receiver::latencies() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->latency;
}

uint64_t receiver::last_delivery_ns() const {
  return impl_->last_ns.load(std::memory_order_relaxed);
}

} // namespace ns::bench
