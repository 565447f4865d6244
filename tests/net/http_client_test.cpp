#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include "net/http_client.hpp"

using namespace ns;
using namespace ns::net;
using namespace std::chrono_literals;

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

/// How the test server treats one request.
struct reply {
  enum class action { answer, close, hang } act = action::answer;
  unsigned status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool keep_alive = true;
  /// Close after answering, whatever keep_alive says.
  bool close_after = false;
  bool chunked = false;
};

/// Gets the request and its index on its connection (0 for the first).
using handler_fn
  = std::function<reply(const bhttp::request<bhttp::string_body>&, size_t)>;

/// A blocking HTTP/1.1 server on 127.0.0.1, one thread per connection.
class test_server {
public:
  explicit test_server(handler_fn handler)
    : handler_(std::move(handler)), acceptor_(ioc_, {tcp::v4(), 0}) {
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread{[this] {
      accept_loop();
    }};
  }

  ~test_server() {
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR); // wakes accept()
    accept_thread_.join();
    std::lock_guard<std::mutex> lock{mtx_};
    for (auto& s : sockets_)
      ::shutdown(s->native_handle(), SHUT_RDWR);
    for (auto& t : threads_)
      t.join();
  }

  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  uint16_t port() const {
    return port_;
  }

  size_t connections() const {
    return connections_.load();
  }

private:
  void accept_loop() {
    for (;;) {
      auto socket = std::make_shared<tcp::socket>(ioc_);
      beast::error_code ec;
      acceptor_.accept(*socket, ec);
      if (ec)
        return;
      ++connections_;
      std::lock_guard<std::mutex> lock{mtx_};
      sockets_.push_back(socket);
      threads_.emplace_back([this, socket] {
        serve(*socket);
      });
    }
  }

  void serve(tcp::socket& socket) {
    beast::flat_buffer buffer;
    for (size_t nth = 0;; ++nth) {
      bhttp::request<bhttp::string_body> req;
      beast::error_code ec;
      bhttp::read(socket, buffer, req, ec);
      if (ec)
        break;
      auto r = handler_(req, nth);
      if (r.act == reply::action::close)
        break;
      if (r.act == reply::action::hang)
        continue; // the next read waits until the client gives up
      bhttp::response<bhttp::string_body> res{
        static_cast<bhttp::status>(r.status), 11};
      for (auto& [k, v] : r.headers)
        res.set(k, v);
      res.body() = r.body;
      res.keep_alive(r.keep_alive);
      if (r.chunked)
        res.chunked(true);
      else
        res.prepare_payload();
      bhttp::write(socket, res, ec);
      if (ec || !r.keep_alive || r.close_after)
        break;
    }
    beast::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
  }

  handler_fn handler_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<size_t> connections_{0};
  std::thread accept_thread_;
  std::mutex mtx_;
  std::vector<std::shared_ptr<tcp::socket>> sockets_;
  std::vector<std::thread> threads_;
};

reply ok(std::string body = "ok") {
  reply r;
  r.body = std::move(body);
  return r;
}

reply act(reply::action a) {
  reply r;
  r.act = a;
  return r;
}

http_call get(std::string url) {
  http_call c;
  c.method = "GET";
  c.url = std::move(url);
  return c;
}

/// Sends and waits at most 10 s for the outcome.
http_outcome call(http_client& client, http_call c) {
  auto p = std::make_shared<std::promise<http_outcome>>();
  auto f = p->get_future();
  client.send(std::move(c), [p](http_outcome o) {
    p->set_value(std::move(o));
  });
  if (f.wait_for(10s) != std::future_status::ready) {
    ADD_FAILURE() << "no outcome within 10 s";
    http_outcome none;
    none.error = "test: no outcome";
    return none;
  }
  return f.get();
}

/// Counts outcomes of many concurrent calls.
struct tally {
  std::mutex mtx;
  std::condition_variable cv;
  size_t done = 0;
  size_t ok = 0;
  std::vector<std::string> errors;

  std::function<void(http_outcome)> callback() {
    return [this](http_outcome o) {
      std::lock_guard<std::mutex> lock{mtx};
      ++done;
      if (o.status == 200)
        ++ok;
      else
        errors.push_back(o.error);
      cv.notify_all();
    };
  }

  bool wait_for(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock{mtx};
    return cv.wait_for(lock, timeout, [&] {
      return done >= n;
    });
  }
};

/// A loopback port with nobody listening.
uint16_t closed_port() {
  asio::io_context ioc;
  tcp::acceptor a{ioc, {tcp::v4(), 0}};
  return a.local_endpoint().port();
}

} // namespace

TEST(HttpClient, SendsRequestAndReadsAnswer) {
  std::mutex mtx;
  bhttp::request<bhttp::string_body> seen;
  test_server server{[&](const auto& req, size_t) {
    std::lock_guard<std::mutex> lock{mtx};
    seen = req;
    return ok("hello");
  }};
  http_client client;
  http_call c;
  c.url = server.url("/hook?a=1&b=2");
  c.body = R"({"x":1})";
  c.headers = {{"X-Signature", "abc"}};
  auto out = call(client, c);
  EXPECT_EQ(out.status, 200u);
  EXPECT_EQ(out.body, "hello");
  EXPECT_EQ(out.error, "");
  std::lock_guard<std::mutex> lock{mtx};
  EXPECT_EQ(seen.method(), bhttp::verb::post);
  EXPECT_EQ(seen.target(), "/hook?a=1&b=2");
  EXPECT_EQ(seen[bhttp::field::host],
            "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(seen[bhttp::field::user_agent], "ns/0.1");
  EXPECT_EQ(seen[bhttp::field::content_type], "application/json");
  EXPECT_EQ(seen["X-Signature"], "abc");
  EXPECT_EQ(seen.body(), R"({"x":1})");
}

TEST(HttpClient, EmptyPathBecomesSlashAndNamesResolve) {
  std::mutex mtx;
  std::string target;
  test_server server{[&](const auto& req, size_t) {
    std::lock_guard<std::mutex> lock{mtx};
    target = std::string{req.target()};
    return ok();
  }};
  http_client client;
  auto out
    = call(client, get("http://localhost:" + std::to_string(server.port())));
  EXPECT_EQ(out.status, 200u) << out.error;
  std::lock_guard<std::mutex> lock{mtx};
  EXPECT_EQ(target, "/");
}

TEST(HttpClient, ReportsStatusAndRetryAfter) {
  test_server server{[](const auto&, size_t) {
    reply r;
    r.status = 503;
    r.body = "busy";
    r.headers = {{"Retry-After", "7"}};
    return r;
  }};
  http_client client;
  auto out = call(client, get(server.url()));
  EXPECT_EQ(out.status, 503u);
  EXPECT_EQ(out.body, "busy");
  EXPECT_EQ(out.retry_after, "7");
  EXPECT_EQ(out.error, "");
}

TEST(HttpClient, ReusesKeepAliveConnection) {
  test_server server{[](const auto&, size_t) {
    return ok();
  }};
  http_client client;
  for (int i = 0; i < 50; ++i)
    ASSERT_EQ(call(client, get(server.url())).status, 200u) << i;
  EXPECT_EQ(server.connections(), 1u);
}

TEST(HttpClient, DeadlineOfADoneCallLeavesItsConnectionAlone) {
  // The first call's read deadline passes while its connection idles in the
  // pool: the connection must still carry the next call.
  test_server server{[](const auto&, size_t) {
    return ok();
  }};
  http_client client;
  auto quick = get(server.url());
  quick.read_timeout = 50ms;
  ASSERT_EQ(call(client, quick).status, 200u);
  std::this_thread::sleep_for(200ms);
  auto out = call(client, get(server.url()));
  EXPECT_EQ(out.status, 200u) << out.error;
  EXPECT_EQ(server.connections(), 1u);
}

TEST(HttpClient, ServesManyConcurrentCalls) {
  test_server server{[](const auto&, size_t) {
    std::this_thread::sleep_for(5ms);
    return ok();
  }};
  http_client_options opts;
  opts.threads = 2;
  http_client client{opts};
  tally t;
  std::vector<std::thread> senders;
  for (int i = 0; i < 4; ++i)
    senders.emplace_back([&] {
      for (int j = 0; j < 50; ++j)
        client.send(get(server.url()), t.callback());
    });
  for (auto& s : senders)
    s.join();
  ASSERT_TRUE(t.wait_for(200, 20s));
  {
    std::lock_guard<std::mutex> lock{t.mtx};
    EXPECT_EQ(t.ok, 200u);
    EXPECT_TRUE(t.errors.empty()) << t.errors.front();
  }
  // Then idle connections are reused rather than new ones opened.
  auto opened = server.connections();
  EXPECT_GT(opened, 1u);
  EXPECT_EQ(call(client, get(server.url())).status, 200u);
  EXPECT_EQ(server.connections(), opened);
}

TEST(HttpClient, ConnectionRefusedIsNotSent) {
  http_client client;
  auto out = call(
    client, get("http://127.0.0.1:" + std::to_string(closed_port()) + "/"));
  EXPECT_EQ(out.status, 0u);
  EXPECT_EQ(out.error, "connect: connection refused");
  EXPECT_TRUE(out.not_sent);
  EXPECT_FALSE(out.permanent);
}

TEST(HttpClient, SilentServerTimesOut) {
  // Listening but never accepting: the kernel completes the handshake and
  // takes the request, nobody answers.
  asio::io_context ioc;
  tcp::acceptor silent{ioc, {tcp::v4(), 0}};
  http_client client;
  auto c = get(
    "http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/");
  c.read_timeout = 300ms;
  auto begin = std::chrono::steady_clock::now();
  auto out = call(client, c);
  auto took = std::chrono::steady_clock::now() - begin;
  EXPECT_EQ(out.error, "timeout");
  EXPECT_FALSE(out.not_sent);
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 2s);
}

TEST(HttpClient, RetriesOnceWhenKeptConnectionWasClosed) {
  // Answers with keep-alive, then drops the connection on its next request
  // without answering: what a server closing an idle connection looks like
  // when the close races with our request.
  test_server server{[](const auto&, size_t nth) {
    return nth == 0 ? ok() : act(reply::action::close);
  }};
  http_client client;
  EXPECT_EQ(call(client, get(server.url())).status, 200u);
  auto out = call(client, get(server.url()));
  EXPECT_EQ(out.status, 200u) << out.error;
  EXPECT_EQ(server.connections(), 2u);
}

TEST(HttpClient, ReplacesIdleConnectionClosedByServer) {
  test_server server{[](const auto&, size_t) {
    auto r = ok();
    r.close_after = true;
    return r;
  }};
  http_client client;
  EXPECT_EQ(call(client, get(server.url())).status, 200u);
  std::this_thread::sleep_for(50ms); // the server's FIN arrives
  auto out = call(client, get(server.url()));
  EXPECT_EQ(out.status, 200u) << out.error;
  EXPECT_EQ(server.connections(), 2u);
}

TEST(HttpClient, NoRetryOnFreshConnection) {
  test_server server{[](const auto&, size_t) {
    return act(reply::action::close);
  }};
  http_client client;
  auto out = call(client, get(server.url()));
  EXPECT_EQ(out.status, 0u);
  EXPECT_EQ(out.error.rfind("read: ", 0), 0u) << out.error;
  EXPECT_FALSE(out.not_sent);
  EXPECT_EQ(server.connections(), 1u);
}

TEST(HttpClient, IdleConnectionsExpire) {
  test_server server{[](const auto&, size_t) {
    return ok();
  }};
  http_client_options opts;
  opts.idle_timeout = 50ms;
  http_client client{opts};
  EXPECT_EQ(call(client, get(server.url())).status, 200u);
  std::this_thread::sleep_for(150ms);
  EXPECT_EQ(call(client, get(server.url())).status, 200u);
  EXPECT_EQ(server.connections(), 2u);
}

TEST(HttpClient, BadUrlsArePermanentAndNotSent) {
  http_client client;
  for (auto url : {"ftp://x", "not a url", "http://", "http://x:99999/",
                   "https://user:pw@example.com/"}) {
    auto out = call(client, get(url));
    EXPECT_EQ(out.status, 0u) << url;
    EXPECT_TRUE(out.permanent) << url;
    EXPECT_TRUE(out.not_sent) << url;
    EXPECT_NE(out.error.find(url), std::string::npos) << out.error;
  }
  auto c = get("http://127.0.0.1:1/");
  c.headers = {{"X-Evil", "a\r\nInjected: 1"}};
  auto out = call(client, c);
  EXPECT_TRUE(out.permanent);
  EXPECT_EQ(out.error, "bad header 'X-Evil'");
}

TEST(HttpClient, TruncatesLargeBodyAndKeepsStatus) {
  std::string big(5000, 'x');
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>('a' + i % 26);
  test_server server{[&](const auto& req, size_t) {
    auto r = ok(big);
    r.status = 201;
    r.chunked = req.target() == "/chunked";
    return r;
  }};
  http_client_options opts;
  opts.max_response_body = 1000;
  http_client client{opts};
  for (auto path : {"/sized", "/chunked"}) {
    auto out = call(client, get(server.url(path)));
    EXPECT_EQ(out.status, 201u) << path;
    EXPECT_EQ(out.body, big.substr(0, 1000)) << path;
    EXPECT_EQ(out.error, "") << path;
  }
  // The half-read connections were closed, not reused.
  EXPECT_EQ(server.connections(), 2u);
  // A body of exactly the limit is whole.
  test_server exact{[&](const auto&, size_t) {
    return ok(big.substr(0, 1000));
  }};
  EXPECT_EQ(call(client, get(exact.url())).body.size(), 1000u);
}

TEST(HttpClient, HttpsToPlainPortIsTlsError) {
  test_server server{[](const auto&, size_t) {
    return ok();
  }};
  http_client client;
  auto c = get("https://127.0.0.1:" + std::to_string(server.port()) + "/");
  c.connect_timeout = 2s;
  auto out = call(client, c);
  EXPECT_EQ(out.status, 0u);
  EXPECT_EQ(out.error.rfind("tls: ", 0), 0u) << out.error;
  EXPECT_TRUE(out.not_sent);
}

TEST(HttpClient, StopCompletesCallsInFlight) {
  test_server server{[](const auto&, size_t) {
    return act(reply::action::hang);
  }};
  http_client_options opts;
  opts.threads = 2;
  http_client client{opts};
  std::atomic<int> calls{0};
  std::atomic<bool> stopped{false};
  std::atomic<int> late{0};
  std::mutex mtx;
  std::vector<http_outcome> outcomes;
  for (int i = 0; i < 20; ++i)
    client.send(get(server.url()), [&](http_outcome o) {
      ++calls;
      if (stopped)
        ++late;
      std::lock_guard<std::mutex> lock{mtx};
      outcomes.push_back(std::move(o));
    });
  // Let some of them reach the server.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (server.connections() < 5
         && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  client.stop();
  stopped = true;
  EXPECT_EQ(calls.load(), 20);
  client.stop(); // idempotent
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(calls.load(), 20);
  EXPECT_EQ(late.load(), 0);
  for (auto& o : outcomes) {
    EXPECT_EQ(o.status, 0u);
    EXPECT_EQ(o.error, "shutting down");
  }
  // After stop, send answers at once.
  auto out = call(client, get(server.url()));
  EXPECT_EQ(out.error, "shutting down");
  EXPECT_TRUE(out.not_sent);
}

namespace {

http_call client_get(std::string url) {
  auto c = get(std::move(url));
  c.origin = url_origin::client;
  return c;
}

http_client_options allowing(std::string_view ranges) {
  http_client_options opts;
  std::vector<config::cidr> allow;
  EXPECT_TRUE(config::parse_cidr_list(ranges, allow)) << ranges;
  opts.client_urls = address_policy{allow};
  return opts;
}

} // namespace

TEST(HttpClient, ClientUrlToDeniedAddressIsRefusedBeforeConnecting) {
  test_server server{[](const auto&, size_t) {
    return ok();
  }};
  http_client client;
  auto port = std::to_string(server.port());
  for (auto url : {server.url("/cb"), "http://localhost:" + port + "/cb",
                   "http://[::ffff:127.0.0.1]:" + port + "/cb"}) {
    auto out = call(client, client_get(url));
    EXPECT_EQ(out.status, 0u) << url;
    EXPECT_TRUE(out.permanent) << url;
    EXPECT_TRUE(out.not_sent) << url;
    EXPECT_NE(out.error.find("address not allowed"), std::string::npos)
      << out.error;
    EXPECT_NE(out.error.find("loopback"), std::string::npos) << out.error;
  }
  EXPECT_EQ(server.connections(), 0u);
  auto named = call(client, client_get("http://localhost:" + port + "/"));
  EXPECT_EQ(named.error.rfind("address not allowed: localhost resolves to ", 0),
            0u)
    << named.error;
}

TEST(HttpClient, AdminUrlIsNotLimited) {
  test_server server{[](const auto&, size_t) {
    return ok();
  }};
  http_client client;
  EXPECT_EQ(call(client, get(server.url())).status, 200u);
}

TEST(HttpClient, ClientUrlReachesAllowedAddresses) {
  test_server server{[](const auto&, size_t) {
    return ok();
  }};
  // localhost may resolve to ::1 as well: refused, the next one is tried.
  http_client client{allowing("127.0.0.0/8")};
  auto port = std::to_string(server.port());
  EXPECT_EQ(call(client, client_get(server.url())).status, 200u);
  auto named = call(client, client_get("http://localhost:" + port + "/"));
  EXPECT_EQ(named.status, 200u) << named.error;
}

TEST(HttpClient, ClientUrlNeverReusesAnAdminConnection) {
  test_server server{[](const auto&, size_t) {
    return ok();
  }};
  http_client client;
  ASSERT_EQ(call(client, get(server.url())).status, 200u);
  // The admin call left a kept-alive connection to this very host and port.
  auto out = call(client, client_get(server.url()));
  EXPECT_EQ(out.status, 0u);
  EXPECT_NE(out.error.find("address not allowed"), std::string::npos)
    << out.error;
  EXPECT_EQ(call(client, get(server.url())).status, 200u);
  EXPECT_EQ(server.connections(), 1u);
}
