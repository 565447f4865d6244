#include "net/http_client.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include <sys/socket.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "config/thread_name.hpp"

namespace ns::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
namespace urls = boost::urls;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;
// Concrete executor types: beast::tcp_stream's type-erased executor and its
// timer per read and write cost ~a fifth of a delivery's client CPU.
using strand_type = asio::strand<asio::io_context::executor_type>;
using socket_type = asio::basic_stream_socket<tcp, strand_type>;
using timer_type
  = asio::basic_waitable_timer<steady, asio::wait_traits<steady>, strand_type>;
using resolver_type = asio::ip::basic_resolver<tcp, strand_type>;

namespace {

/// A string body that keeps the first `limit` bytes, then stops the parser
/// with body_limit: an oversized answer still yields its status and a prefix
/// (string_body with a parser body_limit fails at the header when
/// Content-Length is too large, losing the whole body).
struct capped_body {
  struct value_type {
    std::string text;
    size_t limit = 0;
  };

  class reader {
  public:
    template <bool is_request, class Fields>
    reader(http::header<is_request, Fields>&, value_type& body) : body_(body) {
    }

    void init(const boost::optional<std::uint64_t>& length,
              beast::error_code& ec) {
      if (length)
        body_.text.reserve(std::min<std::uint64_t>(*length, body_.limit));
      ec = {};
    }

    template <class Buffers>
    size_t put(const Buffers& buffers, beast::error_code& ec) {
      auto size = beast::buffer_bytes(buffers);
      auto old = body_.text.size();
      auto take = std::min(size, body_.limit - old);
      body_.text.resize(old + take);
      asio::buffer_copy(asio::buffer(body_.text.data() + old, take), buffers);
      ec = take < size ? beast::error_code{http::error::body_limit}
                       : beast::error_code{};
      return take;
    }

    void finish(beast::error_code& ec) {
      ec = {};
    }

  private:
    value_type& body_;
  };
};

/// Where a call goes, taken from its URL.
struct target {
  bool tls = false;
  bool host_is_name = false;
  /// For DNS, SNI and certificate checks: no brackets, no port.
  std::string host;
  std::string port;
  std::string host_header;
  std::string path_and_query;
  std::string pool_key;
};

/// Fills `t` from `url`; returns the problem, empty when the URL is usable.
std::string parse_target(const std::string& url, target& t) {
  auto bad = [&](std::string_view why) {
    return "bad url '" + url + "': " + std::string{why};
  };
  auto parsed = urls::parse_absolute_uri(url);
  if (!parsed)
    return bad("not an absolute URL (" + parsed.error().message() + ")");
  auto u = *parsed;
  if (u.scheme_id() == urls::scheme::https)
    t.tls = true;
  else if (u.scheme_id() != urls::scheme::http)
    return bad("scheme must be http or https");
  if (u.has_userinfo())
    return bad("credentials in the URL are not supported");
  switch (u.host_type()) {
    case urls::host_type::ipv4:
    case urls::host_type::ipv6: t.host = u.host_address(); break;
    case urls::host_type::name:
      t.host = u.host_name();
      t.host_is_name = true;
      break;
    default: return bad("unsupported host");
  }
  if (t.host.empty())
    return bad("no host");
  unsigned default_port = t.tls ? 443 : 80;
  unsigned port = default_port;
  if (u.has_port()) {
    // port_number() wraps values above 65535 instead of failing.
    auto text = u.port();
    auto [end, ec]
      = std::from_chars(text.data(), text.data() + text.size(), port);
    if (ec != std::errc{} || end != text.data() + text.size() || port == 0
        || port > 65535)
      return bad("bad port");
  }
  t.port = std::to_string(port);
  t.host_header = std::string{u.encoded_host()};
  if (port != default_port)
    t.host_header += ":" + t.port;
  t.path_and_query = std::string{u.encoded_path()};
  if (t.path_and_query.empty())
    t.path_and_query = "/";
  if (u.has_query())
    t.path_and_query += "?" + std::string{u.encoded_query()};
  std::string lower_host = t.host;
  std::transform(lower_host.begin(), lower_host.end(), lower_host.begin(),
                 [](unsigned char c) {
                   return std::tolower(c);
                 });
  t.pool_key = (t.tls ? "https://" : "http://") + lower_host + ":" + t.port;
  return {};
}

/// RFC 9110 token: method and header names.
bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c)
      || std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos;
  });
}

/// "Connection refused" -> "connection refused".
std::string describe(const beast::error_code& ec) {
  auto text = ec.message();
  if (!text.empty())
    text[0]
      = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

/// ssl::host_name_verification that also records a mismatch as the verify
/// result, so the handshake error can name it.
struct verify_host {
  std::string host;
  bool is_name;

  bool operator()(bool preverified, ssl::verify_context& ctx) const {
    if (!preverified)
      return false;
    if (ssl::host_name_verification{host}(preverified, ctx))
      return true;
    X509_STORE_CTX_set_error(ctx.native_handle(),
                             is_name ? X509_V_ERR_HOSTNAME_MISMATCH
                                     : X509_V_ERR_IP_ADDRESS_MISMATCH);
    return false;
  }
};

/// One connection and everything that can be waiting on it, all on one
/// strand: stop() cancels a call by closing its connection there.
struct connection {
  connection(asio::io_context& ioc, ssl::context* tls_ctx)
    : strand(asio::make_strand(ioc)), resolver(strand), deadline(strand) {
    if (tls_ctx)
      tls.emplace(socket_type{strand}, *tls_ctx);
    else
      plain.emplace(strand);
  }

  socket_type& socket() {
    return tls ? tls->next_layer() : *plain;
  }

  template <class F>
  void with_stream(F&& f) {
    if (tls)
      f(*tls);
    else
      f(*plain);
  }

  void close() {
    resolver.cancel();
    deadline.cancel();
    beast::error_code ignored;
    socket().close(ignored);
  }

  /// Whether an idle connection may carry another request: young enough, not
  /// closed by the peer and, for plain HTTP, no unsolicited bytes (over TLS
  /// those may be a late session ticket).
  bool reusable(steady::time_point now, std::chrono::milliseconds max_idle) {
    if (now - idle_since >= max_idle)
      return false;
    char byte = 0;
    auto n
      = ::recv(socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0)
      return errno == EAGAIN || errno == EWOULDBLOCK;
    return n > 0 && tls.has_value();
  }

  strand_type strand;
  resolver_type resolver;
  /// The one deadline of whatever the current call waits for: the lookup
  /// and connect (connect_timeout), or the request and its answer
  /// (read_timeout). On expiry the call closes the connection.
  timer_type deadline;
  std::optional<socket_type> plain;
  std::optional<beast::ssl_stream<socket_type>> tls;
  beast::flat_buffer buffer;
  steady::time_point idle_since;
  /// Counts arms of `deadline`; a release counts too, so a late expiry of a
  /// call that is done with this connection does nothing.
  uint64_t armed = 0;
};

using connection_ptr = std::shared_ptr<connection>;

/// What all calls of one client share. Pools and the busy set are guarded by
/// `mtx`; a connection is in exactly one of them while open.
struct client_core {
  explicit client_core(http_client_options o) : opts(o) {
    tls_ctx.set_verify_mode(ssl::verify_peer);
    // Without a readable trust store every handshake fails verification,
    // which names the problem better than an exception here.
    beast::error_code ignored;
    tls_ctx.set_default_verify_paths(ignored);
    SSL_CTX_set_min_proto_version(tls_ctx.native_handle(), TLS1_2_VERSION);
  }

  /// Registers a new busy connection; null once stopping.
  connection_ptr open(bool use_tls) {
    std::lock_guard<std::mutex> lock{mtx};
    if (stopping)
      return nullptr;
    auto c = std::make_shared<connection>(ioc, use_tls ? &tls_ctx : nullptr);
    busy.insert(c);
    return c;
  }

  /// The most recently used live idle connection for `key`, if any.
  connection_ptr take_idle(const std::string& key) {
    std::vector<connection_ptr> dead;
    connection_ptr found;
    {
      std::lock_guard<std::mutex> lock{mtx};
      auto it = idle.find(key);
      auto now = steady::now();
      while (!stopping && it != idle.end() && !it->second.empty() && !found) {
        auto c = std::move(it->second.back());
        it->second.pop_back();
        if (c->reusable(now, opts.idle_timeout))
          found = std::move(c);
        else
          dead.push_back(std::move(c));
      }
      if (found)
        busy.insert(found);
    }
    close_all(dead);
    return found;
  }

  /// Runs on the connection's strand.
  void release(connection_ptr c, const std::string& key, bool keep) {
    ++c->armed;
    c->deadline.cancel();
    keep = keep && c->buffer.size() == 0;
    if (keep)
      c->idle_since = steady::now();
    std::lock_guard<std::mutex> lock{mtx};
    busy.erase(c);
    if (keep && !stopping) {
      auto& list = idle[key];
      if (list.size() < opts.max_idle_per_host)
        return list.push_back(std::move(c));
    }
    c->close();
  }

  /// Drops idle connections that expired or were closed by the peer.
  void sweep() {
    std::vector<connection_ptr> dead;
    {
      std::lock_guard<std::mutex> lock{mtx};
      auto now = steady::now();
      for (auto it = idle.begin(); it != idle.end();) {
        auto& list = it->second;
        auto alive = std::stable_partition(
          list.begin(), list.end(), [&](const connection_ptr& c) {
            return c->reusable(now, opts.idle_timeout);
          });
        std::move(alive, list.end(), std::back_inserter(dead));
        list.erase(alive, list.end());
        it = list.empty() ? idle.erase(it) : std::next(it);
      }
    }
    close_all(dead);
  }

  /// Closes on each connection's own strand: its stream is not thread-safe.
  static void close_all(std::vector<connection_ptr>& conns) {
    for (auto& c : conns)
      asio::post(c->strand, [c] {
        c->close();
      });
    conns.clear();
  }

  void call_finished() {
    std::lock_guard<std::mutex> lock{mtx};
    if (--in_flight == 0)
      drained.notify_all();
  }

  http_client_options opts;
  ssl::context tls_ctx{ssl::context::tls_client};
  std::mutex mtx;
  std::condition_variable drained;
  std::atomic<bool> stopping{false};
  size_t in_flight = 0;
  std::map<std::string, std::vector<connection_ptr>> idle;
  std::set<connection_ptr> busy;
  // Last: destroying it destroys pending handlers, which own connections.
  asio::io_context ioc;
};

/// One call from URL to outcome. Its handlers run one at a time, on the
/// strand of its current connection.
class exchange : public std::enable_shared_from_this<exchange> {
public:
  exchange(client_core& core, http_call call,
           std::function<void(http_outcome)> done)
    : core_(core), call_(std::move(call)), done_(std::move(done)) {
  }

  void start() {
    if (auto problem = prepare(); !problem.empty())
      return fail(problem, true);
    if ((conn_ = core_.take_idle(target_.pool_key))) {
      reused_ = true;
      asio::dispatch(conn_->strand, [self = shared_from_this()] {
        self->write();
      });
    } else {
      connect();
    }
  }

private:
  /// Parses the URL and builds the request; returns the problem, if any.
  std::string prepare() {
    if (auto problem = parse_target(call_.url, target_); !problem.empty())
      return problem;
    // A connection opened for an admin's URL was never checked: a client's
    // URL with the same host and port must not reuse it.
    if (call_.origin == url_origin::client)
      target_.pool_key = "client " + target_.pool_key;
    if (!is_token(call_.method))
      return "bad method '" + call_.method + "'";
    req_.method_string(call_.method);
    req_.version(11);
    req_.target(target_.path_and_query);
    for (auto& [name, value] : call_.headers) {
      auto breaks = value.find_first_of(std::string_view{"\r\n\0", 3});
      if (!is_token(name) || breaks != value.npos)
        return "bad header '" + name + "'";
      req_.insert(name, value);
    }
    req_.set(http::field::host, target_.host_header);
    if (req_.find(http::field::user_agent) == req_.end())
      req_.set(http::field::user_agent, "ns/0.1");
    if (!call_.body.empty() && !call_.content_type.empty()
        && req_.find(http::field::content_type) == req_.end())
      req_.set(http::field::content_type, call_.content_type);
    req_.body() = std::move(call_.body);
    req_.prepare_payload();
    return {};
  }

  void connect() {
    if (!(conn_ = core_.open(target_.tls)))
      return fail("shutting down");
    asio::dispatch(conn_->strand, [self = shared_from_this()] {
      self->resolve();
    });
  }

  /// Arms the connection's deadline for the next step(s). On expiry a DNS
  /// lookup (which cannot be interrupted; its late answer is ignored) fails
  /// at once, anything else by closing the socket under its operation.
  void arm(std::chrono::milliseconds timeout) {
    timed_out_ = false;
    auto gen = ++conn_->armed;
    conn_->deadline.expires_after(timeout);
    conn_->deadline.async_wait(
      [self = shared_from_this(), c = conn_, gen](beast::error_code ec) {
        // Canceled, re-armed, or the connection was released (it may carry
        // another call by now). Runs on the connection's strand, like
        // everything that changes `armed`.
        if (ec || c->armed != gen)
          return;
        if (std::exchange(self->resolving_, false))
          return self->fail(self->core_.stopping ? "shutting down" : "timeout");
        self->timed_out_ = true;
        beast::error_code ignored;
        c->socket().close(ignored);
      });
  }

  void resolve() {
    // Whichever comes first, the answer or the deadline, decides.
    resolving_ = true;
    arm(call_.connect_timeout);
    conn_->resolver.async_resolve(
      target_.host, target_.port,
      [self = shared_from_this()](beast::error_code ec,
                                  tcp::resolver::results_type results) {
        if (!std::exchange(self->resolving_, false))
          return;
        if (ec)
          return self->fail(self->transport_error("resolve", ec));
        self->on_resolved(results);
      });
  }

  void on_resolved(const tcp::resolver::results_type& results) {
    if (core_.stopping)
      return fail("shutting down");
    if (call_.origin != url_origin::client)
      return connect_to(results);
    // Judged here, on the addresses connected to next: a check of the URL at
    // submission cannot see what a name resolves to now (DNS rebinding).
    std::vector<tcp::endpoint> admitted;
    std::string refusal;
    for (auto& entry : results) {
      auto why = core_.opts.client_urls.refusal(entry.endpoint().address());
      if (why.empty())
        admitted.push_back(entry.endpoint());
      else if (refusal.empty())
        refusal = std::move(why);
    }
    if (admitted.empty())
      return fail("address not allowed: "
                    + (target_.host_is_name ? target_.host + " resolves to "
                                            : std::string{})
                    + refusal + " (" + std::string{address_policy::hint} + ")",
                  true);
    connect_to(admitted);
  }

  template <class Endpoints>
  void connect_to(const Endpoints& endpoints) {
    // Still under the deadline armed for the lookup.
    asio::async_connect(
      conn_->socket(), endpoints,
      [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
        if (ec)
          return self->fail(self->transport_error("connect", ec));
        self->on_connected();
      });
  }

  void on_connected() {
    if (core_.stopping)
      return fail("shutting down");
    beast::error_code ignored;
    conn_->socket().set_option(tcp::no_delay{true}, ignored);
    if (!conn_->tls)
      return write();
    auto& tls = *conn_->tls;
    if (target_.host_is_name
        && !SSL_set_tlsext_host_name(tls.native_handle(), target_.host.c_str()))
      return fail("tls: cannot set the server name");
    tls.set_verify_callback(verify_host{target_.host, target_.host_is_name});
    tls.async_handshake(ssl::stream_base::client,
                        [self = shared_from_this()](beast::error_code ec) {
                          if (ec)
                            return self->on_handshake_failed(ec);
                          self->write();
                        });
  }

  void on_handshake_failed(const beast::error_code& ec) {
    auto result = SSL_get_verify_result(conn_->tls->native_handle());
    if (result != X509_V_OK && !core_.stopping)
      return fail(std::string{"tls: certificate verify failed: "}
                    + X509_verify_cert_error_string(result),
                  true);
    fail(transport_error("tls", ec));
  }

  void write() {
    if (core_.stopping)
      return fail("shutting down");
    // One deadline for writing the request and reading the whole answer.
    arm(call_.read_timeout);
    sent_ = true;
    conn_->with_stream([this](auto& stream) {
      http::async_write(
        stream, req_,
        [self = shared_from_this()](beast::error_code ec, size_t) {
          if (ec)
            return self->broken("write", ec);
          self->read();
        });
    });
  }

  void read() {
    parser_.emplace();
    parser_->get().body().limit = core_.opts.max_response_body;
    parser_->body_limit(boost::none); // capped_body enforces the limit
    if (req_.method() == http::verb::head)
      parser_->skip(true);
    conn_->with_stream([this](auto& stream) {
      http::async_read(
        stream, conn_->buffer, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) {
          self->on_read(ec);
        });
    });
  }

  void on_read(const beast::error_code& ec) {
    if (ec == http::error::body_limit)
      return answer(false); // the rest of the body is still on the wire
    if (ec)
      return broken("read", ec);
    answer(parser_->keep_alive());
  }

  /// Writing or reading failed. A reused connection that dies before any
  /// answer byte was most likely closed by the server while idle: retry
  /// once on a fresh connection. Never after answer bytes arrived.
  void broken(const char* what, const beast::error_code& ec) {
    auto got_bytes
      = parser_ && (parser_->got_some() || conn_->buffer.size() > 0);
    if (reused_ && !got_bytes && !timed_out_ && !core_.stopping) {
      reused_ = false;
      core_.release(std::move(conn_), target_.pool_key, false);
      return connect();
    }
    fail(transport_error(what, ec));
  }

  std::string transport_error(const char* what, const beast::error_code& ec) {
    if (core_.stopping)
      return "shutting down";
    if (timed_out_)
      return "timeout";
    return std::string{what} + ": " + describe(ec);
  }

  void answer(bool keep_alive) {
    auto& res = parser_->get();
    http_outcome out;
    out.status = res.result_int();
    out.body = std::move(res.body().text);
    if (auto it = res.find(http::field::retry_after); it != res.end())
      out.retry_after = std::string{it->value().data(), it->value().size()};
    finish(std::move(out), keep_alive);
  }

  void fail(std::string error, bool permanent = false) {
    http_outcome out;
    out.error = std::move(error);
    out.not_sent = !sent_;
    out.permanent = permanent;
    finish(std::move(out), false);
  }

  void finish(http_outcome out, bool keep_alive) {
    if (conn_)
      core_.release(std::move(conn_), target_.pool_key, keep_alive);
    {
      // Captured resources go now, not whenever this object dies.
      auto done = std::move(done_);
      done(std::move(out));
    }
    core_.call_finished();
  }

  client_core& core_;
  http_call call_;
  std::function<void(http_outcome)> done_;
  target target_;
  http::request<http::string_body> req_;
  std::optional<http::response_parser<capped_body>> parser_;
  connection_ptr conn_;
  bool reused_ = false;
  bool sent_ = false;
  bool resolving_ = false;
  bool timed_out_ = false;
};

} // namespace

struct http_client::impl {
  explicit impl(http_client_options opts)
    : core(opts), work(core.ioc.get_executor()), sweep_timer(core.ioc) {
  }

  void schedule_sweep() {
    auto period
      = std::clamp(core.opts.idle_timeout / 2, std::chrono::milliseconds{10},
                   std::chrono::milliseconds{1'000});
    sweep_timer.expires_after(period);
    sweep_timer.async_wait([this](beast::error_code ec) {
      if (ec || core.stopping)
        return;
      core.sweep();
      schedule_sweep();
    });
  }

  client_core core;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>>
    work;
  // Only its own handler touches it: stop() leaves it to ioc.stop().
  asio::steady_timer sweep_timer;
  std::vector<std::thread> threads;
  std::mutex stop_mtx;
};

http_client::http_client(http_client_options opts)
  : impl_(std::make_unique<impl>(opts)) {
  impl_->schedule_sweep();
  for (unsigned i = 0; i < std::max(1u, opts.threads); ++i)
    impl_->threads.emplace_back([this] {
      name_this_thread("ns.outbound");
      impl_->core.ioc.run();
    });
}

http_client::~http_client() {
  stop();
}

void http_client::send(http_call call, std::function<void(http_outcome)> done) {
  auto& core = impl_->core;
  {
    std::lock_guard<std::mutex> lock{core.mtx};
    if (!core.stopping) {
      ++core.in_flight;
      auto ex
        = std::make_shared<exchange>(core, std::move(call), std::move(done));
      asio::post(core.ioc, [ex] {
        ex->start();
      });
      return;
    }
  }
  http_outcome out;
  out.error = "shutting down";
  out.not_sent = true;
  done(std::move(out));
}

void http_client::stop() {
  std::lock_guard<std::mutex> serial{impl_->stop_mtx};
  auto& core = impl_->core;
  if (impl_->threads.empty())
    return;
  std::vector<connection_ptr> open;
  {
    std::lock_guard<std::mutex> lock{core.mtx};
    core.stopping = true;
    open.assign(core.busy.begin(), core.busy.end());
    for (auto& [key, list] : core.idle)
      open.insert(open.end(), list.begin(), list.end());
    core.idle.clear();
  }
  // Closing a busy connection makes its call fail with "shutting down";
  // calls not yet on a connection see `stopping` before they get one.
  client_core::close_all(open);
  {
    std::unique_lock<std::mutex> lock{core.mtx};
    core.drained.wait(lock, [&core] {
      return core.in_flight == 0;
    });
  }
  impl_->work.reset();
  core.ioc.stop();
  for (auto& t : impl_->threads)
    t.join();
  impl_->threads.clear();
}

} // namespace ns::net
