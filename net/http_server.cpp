#include "net/http_server.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>
#include <utility>

#include <sys/resource.h>

#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "config/error.hpp"
#include "config/log.hpp"
#include "config/log_throttle.hpp"
#include "config/thread_name.hpp"

namespace ns::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

/// Sockets and timers bound to one io_context's own executor: no
/// type-erased executor copied on every operation.
using executor = asio::io_context::executor_type;
using socket_type = asio::basic_stream_socket<tcp, executor>;
using timer_type
  = asio::basic_waitable_timer<std::chrono::steady_clock,
                               asio::wait_traits<std::chrono::steady_clock>,
                               executor>;
using clock_type = std::chrono::steady_clock;

class session;

/// What every session of one server shares.
struct server_core {
  config::http_options opts;
  handler_fn handler;
  std::atomic<bool> stopping{false};
  std::atomic<int64_t> in_flight{0};
  std::mutex sessions_mtx;
  std::unordered_set<session*> sessions;
};

/// accept() errors that the next accept() would repeat at once: the process
/// or the system is out of descriptors or memory.
bool out_of_resources(const beast::error_code& ec) {
  if (ec.category() != boost::system::system_category())
    return false;
  auto v = ec.value();
  return v == EMFILE || v == ENFILE || v == ENOBUFS || v == ENOMEM;
}

/// Descriptors nsd needs besides its HTTP connections: RocksDB's files,
/// ZeroMQ, epoll and event descriptors, outbound connections.
constexpr uint64_t own_descriptors = 256;

/// Makes room for http.max_connections: raises the soft RLIMIT_NOFILE
/// towards the hard one as far as needed, and warns if that is not enough.
void fit_descriptor_limit(uint64_t max_connections) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0)
    return;
  auto need = max_connections + own_descriptors;
  auto want = lim.rlim_max == RLIM_INFINITY
    ? need
    : std::min<uint64_t>(need, lim.rlim_max);
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < want) {
    auto raised = lim;
    raised.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
      lim = raised;
  }
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < need)
    log::warning() << "http: the descriptor limit (RLIMIT_NOFILE "
                   << lim.rlim_cur << ", hard " << lim.rlim_max
                   << ") is below the " << need
                   << " that http.max_connections=" << max_connections
                   << " needs (plus " << own_descriptors
                   << " for nsd's own files); beyond it new connections wait "
                      "in the listen queue. Raise the limit (ulimit -n, "
                      "LimitNOFILE=) or lower http.max_connections";
}

std::string error_body(std::string_view code, std::string_view message) {
  // Codes and messages here are fixed ASCII texts: no escaping needed.
  return R"({"error":{"code":")" + std::string{code} + R"(","message":")"
    + std::string{message} + R"(","details":{}}})";
}

class session : public std::enable_shared_from_this<session> {
public:
  session(socket_type&& socket, server_core& core)
    : socket_(std::move(socket)), watchdog_(socket_.get_executor()),
      core_(core) {
    std::lock_guard<std::mutex> guard{core_.sessions_mtx};
    core_.sessions.insert(this);
  }

  ~session() {
    std::lock_guard<std::mutex> guard{core_.sessions_mtx};
    core_.sessions.erase(this);
  }

  void start() {
    boost::system::error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    if (!ec)
      peer_ = ep.address().to_string() + ":" + std::to_string(ep.port());
    asio::dispatch(socket_.get_executor(), [self = shared_from_this()] {
      self->read_next();
      self->watch();
    });
  }

  /// Called on shutdown from any thread: busy connections close after their
  /// answer, the others after a short window (see open_closing_window).
  void shutdown() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_)
        self->open_closing_window();
    });
  }

private:
  /// Timeouts: one deadline per connection, moved by each phase (reading,
  /// answering, draining) and enforced by one timer that wakes only when the
  /// deadline it was armed for has come. A timer per read and write would
  /// cost a timer-queue insert and cancel on every request.
  void expires_after(clock_type::duration d) {
    expires_at(clock_type::now() + d);
  }

  void expires_at(clock_type::time_point at) {
    deadline_ = at;
    if (deadline_ < armed_at_)
      watchdog_.cancel(); // its handler re-arms for the nearer deadline
  }

  void expires_never() {
    deadline_ = clock_type::time_point::max();
  }

  void watch() {
    if (closed_)
      return;
    // While the handler works there is no deadline: look again later, but
    // not after the nearest deadline read_next() may set, so that it does
    // not have to cancel the timer.
    auto at = deadline_;
    if (at == clock_type::time_point::max())
      at = clock_type::now()
        + std::min(core_.opts.idle_timeout, core_.opts.read_timeout);
    armed_at_ = at;
    watchdog_.expires_at(at);
    watchdog_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (self->closed_)
        return;
      if (ec) { // canceled for a nearer deadline
        self->watch();
        return;
      }
      if (clock_type::now() < self->deadline_) {
        self->watch();
      } else if (self->reading_ && self->request_begun()
                 && self->deadline_ < self->request_deadline_) {
        // Idle time is over but a request has begun: it has the whole read
        // timeout.
        self->deadline_ = self->request_deadline_;
        self->watch();
      } else {
        self->close(); // pending reads and writes end with operation_aborted
      }
    });
  }

  /// A request may already sit in the socket buffer of a connection that
  /// looks idle: closing now would drop it unanswered. Keep reading for a
  /// moment; whatever arrives is answered with `Connection: close`.
  void open_closing_window() {
    if (closing_timer_ || closed_)
      return;
    closing_timer_.emplace(socket_.get_executor());
    closing_timer_->expires_after(std::chrono::milliseconds(500));
    closing_timer_->async_wait(
      [self = shared_from_this()](beast::error_code ec) {
        if (!ec && !self->busy_)
          self->close();
      });
  }

  /// Whether a byte of the request being read has arrived: a pipelined one
  /// may already wait in the buffer before the parser saw any of it.
  bool request_begun() const {
    return buffer_.size() > 0 || (parser_ && parser_->got_some());
  }

  void read_next() {
    if (core_.stopping.load())
      open_closing_window();
    parser_.emplace();
    parser_->body_limit(core_.opts.max_body_bytes.value);
    parser_->header_limit(
      static_cast<std::uint32_t>(core_.opts.max_header_bytes.value));
    // An idle connection gets idle_timeout; the watchdog extends that to
    // the read timeout once a request has begun (no timer per read).
    reading_ = true;
    auto now = clock_type::now();
    request_deadline_ = now + core_.opts.read_timeout;
    expires_at(std::min(now + core_.opts.idle_timeout, request_deadline_));
    http::async_read(socket_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(beast::error_code ec) {
    reading_ = false;
    if (ec == http::error::end_of_stream || ec == asio::error::eof
        || ec == asio::error::operation_aborted
        || ec == asio::error::connection_reset) {
      close();
      return;
    }
    if (ec == http::error::body_limit) {
      fail(413, "payload_too_large",
           "request body exceeds http.max_body_bytes ("
             + std::to_string(core_.opts.max_body_bytes.value) + " bytes)");
      return;
    }
    if (ec == http::error::header_limit) {
      fail(431, "header_too_large",
           "request head exceeds http.max_header_bytes ("
             + std::to_string(core_.opts.max_header_bytes.value) + " bytes)");
      return;
    }
    if (ec) {
      fail(400, "bad_request", "malformed HTTP request");
      return;
    }
    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    request out;
    out.method = std::string{req.method_string()};
    auto target = std::string_view{req.target().data(), req.target().size()};
    auto q = target.find('?');
    out.path = std::string{target.substr(0, q)};
    if (q != std::string_view::npos)
      out.query = std::string{target.substr(q + 1)};
    auto header = [&](http::field f) {
      auto it = req.find(f);
      return it == req.end()
        ? std::string{}
        : std::string{it->value().data(), it->value().size()};
    };
    out.content_type = header(http::field::content_type);
    out.authorization = header(http::field::authorization);
    if (auto it = req.find("X-Api-Key"); it != req.end())
      out.api_key = std::string{it->value().data(), it->value().size()};
    if (auto it = req.find("Idempotency-Key"); it != req.end())
      out.idempotency_key = std::string{it->value().data(), it->value().size()};
    out.body = std::move(req.body());
    out.peer = peer_;
    busy_ = true;
    core_.in_flight.fetch_add(1);
    // No deadline while the handler works: the answer closes the wait.
    expires_never();
    core_.handler(std::move(out), [self = shared_from_this()](response res) {
      auto ex = self->socket_.get_executor();
      asio::post(ex, [self = std::move(self), res = std::move(res)]() mutable {
        self->write(std::move(res), false);
      });
    });
  }

  void fail(unsigned status, std::string_view code, const std::string& text) {
    keep_alive_ = false;
    busy_ = true;
    core_.in_flight.fetch_add(1);
    response res;
    res.status = status;
    res.body = error_body(code, text);
    write(std::move(res), true);
  }

  void write(response res, bool drain_after) {
    res_ = {};
    res_.version(11);
    res_.result(res.status);
    res_.set(http::field::server, "ns");
    if (!res.content_type.empty())
      res_.set(http::field::content_type, res.content_type);
    for (auto& [k, v] : res.headers)
      res_.set(k, v);
    res_.body() = std::move(res.body);
    auto keep = keep_alive_ && !core_.stopping.load();
    res_.keep_alive(keep);
    res_.prepare_payload();
    expires_after(core_.opts.write_timeout);
    http::async_write(socket_, res_,
                      [self = shared_from_this(), keep,
                       drain_after](beast::error_code ec, size_t) {
                        self->busy_ = false;
                        self->core_.in_flight.fetch_sub(1);
                        if (ec) {
                          self->close();
                        } else if (drain_after) {
                          self->drain();
                        } else if (!keep) {
                          self->close();
                        } else {
                          self->read_next();
                        }
                      });
  }

  /// After an early error answer the client may still be sending its body;
  /// closing now would reset the connection before it reads the answer.
  /// Read and discard for a short while, then close.
  void drain() {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    expires_after(std::chrono::seconds(5));
    scratch_.resize(64 * 1024);
    drain_budget_ = 64ull << 20;
    drain_some();
  }

  void drain_some() {
    socket_.async_read_some(
      asio::buffer(scratch_),
      [self = shared_from_this()](beast::error_code ec, size_t n) {
        if (ec || n >= self->drain_budget_) {
          self->close();
          return;
        }
        self->drain_budget_ -= n;
        self->drain_some();
      });
  }

  void close() {
    if (closed_)
      return;
    closed_ = true;
    if (closing_timer_)
      closing_timer_->cancel();
    watchdog_.cancel();
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  socket_type socket_;
  timer_type watchdog_;
  clock_type::time_point deadline_ = clock_type::time_point::max();
  clock_type::time_point armed_at_ = clock_type::time_point::max();
  // When the request being read must be complete (read_timeout).
  clock_type::time_point request_deadline_ = clock_type::time_point::max();
  server_core& core_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  std::vector<char> scratch_;
  std::optional<timer_type> closing_timer_;
  uint64_t drain_budget_ = 0;
  std::string peer_;
  bool keep_alive_ = true;
  bool busy_ = false;
  bool reading_ = false;
  bool closed_ = false;
};

} // namespace

struct http_server::impl {
  server_core core;
  std::vector<std::unique_ptr<asio::io_context>> iocs;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>>
    guards;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  // After the acceptor: destroyed before the io contexts.
  std::optional<timer_type> accept_pause;
  log::throttle accept_errors{std::chrono::seconds(10)};
  log::throttle limit_reached{std::chrono::seconds(10)};
  size_t next = 0;
  uint16_t bound_port = 0;

  /// Out of descriptors, accept() fails at once and would fail again at
  /// once: wait a little for connections to close instead of spinning.
  void pause_accepting() {
    accept_pause->expires_after(std::chrono::milliseconds(100));
    accept_pause->async_wait([this](beast::error_code ec) {
      if (!ec && acceptor->is_open())
        accept();
    });
  }

  void accept() {
    auto& target = *iocs[next];
    next = (next + 1) % iocs.size();
    // One thread runs each io_context, so its plain executor already
    // serialises a session's handlers: a strand would only add cost.
    acceptor->async_accept(
      target.get_executor(), [this](beast::error_code ec, socket_type socket) {
        if (ec == asio::error::operation_aborted || !acceptor->is_open())
          return;
        if (!ec) {
          size_t open = 0;
          {
            std::lock_guard<std::mutex> guard{core.sessions_mtx};
            open = core.sessions.size();
          }
          if (open >= core.opts.max_connections) {
            if (uint64_t n = 0; limit_reached.admit(n))
              log::warning()
                << "http: connection limit (" << core.opts.max_connections
                << ") reached; closing a new connection"
                << log::suppressed_note(n);
            boost::system::error_code ignored;
            socket.close(ignored);
          } else {
            socket.set_option(tcp::no_delay{true});
            std::make_shared<session>(std::move(socket), core)->start();
          }
        } else {
          if (uint64_t n = 0; accept_errors.admit(n))
            log::warning() << "http: accept failed: " << ec.message()
                           << log::suppressed_note(n);
          if (out_of_resources(ec)) {
            pause_accepting();
            return;
          }
        }
        accept();
      });
  }
};

http_server::http_server(const config::http_options& opts, handler_fn handler)
  : impl_(std::make_unique<impl>()) {
  impl_->core.opts = opts;
  impl_->core.handler = std::move(handler);
  for (unsigned i = 0; i < opts.threads; ++i) {
    impl_->iocs.push_back(std::make_unique<asio::io_context>(1));
    impl_->guards.emplace_back(impl_->iocs.back()->get_executor());
  }
}

http_server::~http_server() {
  stop(std::chrono::milliseconds{0});
}

caf::error http_server::start() {
  auto& o = impl_->core.opts;
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(o.host, ec);
  if (ec) {
    // A host name: resolve it once.
    tcp::resolver resolver{*impl_->iocs[0]};
    auto results = resolver.resolve(o.host, std::to_string(o.port), ec);
    if (ec || results.empty())
      return make_error(ec::invalid_config,
                        "http.listen: cannot resolve '" + o.host
                          + "': " + ec.message());
    addr = results.begin()->endpoint().address();
  }
  tcp::endpoint ep{addr, o.port};
  fit_descriptor_limit(o.max_connections);
  auto& acc = impl_->acceptor.emplace(*impl_->iocs[0]);
  impl_->accept_pause.emplace(impl_->iocs[0]->get_executor());
  auto failed = [&](const char* what) {
    return make_error(ec::invalid_config,
                      std::string{"http.listen: cannot "} + what + " "
                        + o.listen + ": " + ec.message());
  };
  if (acc.open(ep.protocol(), ec); ec)
    return failed("open");
  if (acc.set_option(asio::socket_base::reuse_address(true), ec); ec)
    return failed("configure");
  if (acc.bind(ep, ec); ec)
    return failed("bind");
  if (acc.listen(asio::socket_base::max_listen_connections, ec); ec)
    return failed("listen on");
  impl_->bound_port = acc.local_endpoint().port();
  impl_->accept();
  for (auto& ioc : impl_->iocs)
    impl_->threads.emplace_back([ctx = ioc.get()] {
      name_this_thread("ns.http");
      ctx->run();
    });
  return {};
}

uint16_t http_server::port() const {
  return impl_->bound_port;
}

void http_server::stop(std::chrono::milliseconds grace) {
  auto& core = impl_->core;
  if (impl_->threads.empty())
    return;
  core.stopping.store(true);
  asio::post(*impl_->iocs[0], [this] {
    boost::system::error_code ignored;
    if (impl_->acceptor)
      impl_->acceptor->close(ignored);
    if (impl_->accept_pause)
      impl_->accept_pause->cancel();
  });
  std::vector<std::shared_ptr<session>> live;
  {
    std::lock_guard<std::mutex> guard{core.sessions_mtx};
    for (auto* s : core.sessions)
      if (auto sp = s->weak_from_this().lock())
        live.push_back(std::move(sp));
  }
  // Outside the lock: dropping the last reference runs ~session, which locks.
  for (auto& s : live)
    s->shutdown();
  live.clear();
  auto deadline = std::chrono::steady_clock::now() + grace;
  auto open_sessions = [&core] {
    std::lock_guard<std::mutex> guard{core.sessions_mtx};
    return core.sessions.size();
  };
  while ((core.in_flight.load() > 0 || open_sessions() > 0)
         && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (core.in_flight.load() > 0)
    log::warning() << "http: " << core.in_flight.load()
                   << " requests still in flight after the shutdown grace";
  impl_->guards.clear();
  for (auto& ioc : impl_->iocs)
    ioc->stop();
  for (auto& t : impl_->threads)
    t.join();
  impl_->threads.clear();
}

} // namespace ns::net
