#include "ns_bench/load.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <queue>
#include <thread>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "ns_bench/http_head.hpp"

namespace ns::bench {

using tcp = boost::asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

uint64_t steady_now_ns() {
  return static_cast<uint64_t>(
    std::chrono::duration_cast<std::chrono::nanoseconds>(
      clock_type::now().time_since_epoch())
      .count());
}

uint64_t stamp_of(uint64_t steady_ns) {
  return 1'000'000'000'000'000'000ULL + steady_ns;
}

// The load generator shares the machine with the server it measures, so its
// own cost is part of every figure: each io thread is a plain epoll loop
// (level-triggered, one recv per readiness, no per-request timer or
// speculative read), and an open loop sends what is due once per tick
// rather than waking for every request (docs/benchmarks.md, fifth look).

namespace {

constexpr std::size_t max_sample_ids = 8;
constexpr std::size_t initial_buffer = 16 * 1024;
constexpr auto longest_sleep = std::chrono::milliseconds(10);
constexpr auto reconnect_backoff = std::chrono::milliseconds(10);
constexpr auto open_loop_tick = std::chrono::microseconds(100);

struct worker;

struct connection {
  enum class phase { idle, connecting, sending, reading, finished };

  connection(worker& w, load_driver::impl& d, std::string request,
             clock_type::time_point first, clock_type::duration interval)
    : w(w), d(d), req(std::move(request)), buf(initial_buffer), first(first),
      interval(interval) {
  }

  void connect();
  void on_connected();
  void issue();
  void send();
  void write_some();
  void on_readable();
  void on_answer(const http_head& head);
  void on_error();
  void on_event(uint32_t events);
  void finish();
  void close_socket();
  void stamp();
  void watch(uint32_t events);

  worker& w;
  load_driver::impl& d;
  int fd = -1;
  uint32_t watched = 0;
  phase at = phase::idle;
  /// After an idle close, the connect that precedes the scheduled send.
  bool send_when_connected = false;
  std::string req;
  std::size_t sent = 0;
  std::vector<char> buf;
  std::size_t have = 0;
  clock_type::time_point first;
  clock_type::duration interval;
  uint64_t seq = 0;
  clock_type::time_point intended;
};

/// Something a connection does later: its next open-loop send, or a
/// reconnect after an error.
struct wake_up {
  clock_type::time_point at;
  connection* conn;
  bool reconnect;
  bool operator>(const wake_up& other) const {
    return at > other.at;
  }
};

struct worker {
  explicit worker(load_driver::impl& d)
    : d(d), ep(::epoll_create1(EPOLL_CLOEXEC)) {
  }
  ~worker() {
    for (auto& c : conns)
      c->close_socket();
    if (ep >= 0)
      ::close(ep);
  }

  void run();
  void later(clock_type::time_point at, connection* c, bool reconnect) {
    timers.push(wake_up{at, c, reconnect});
  }

  load_driver::impl& d;
  int ep;
  std::vector<std::unique_ptr<connection>> conns;
  std::priority_queue<wake_up, std::vector<wake_up>, std::greater<>> timers;
  std::thread thread;
  histogram total;
  std::mutex interval_mtx;
  histogram interval;
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> errors{0};
  uint64_t requests = 0;
  uint64_t item_errors = 0;
  std::map<int, uint64_t> status_errors;
  std::vector<std::string> ids;
  int active = 0;
  clock_type::time_point last_finish;
};

} // namespace

struct load_driver::impl {
  load_spec spec;
  tcp::endpoint ep;
  std::vector<std::unique_ptr<worker>> workers;
  std::atomic<bool> stopping{false};
  std::atomic<bool> aborting{false};
  std::atomic<int> active{0};
  std::atomic<uint64_t> issued{0};
  clock_type::time_point t0;
  clock_type::time_point deadline;
};

namespace {

void worker::run() {
  // The open-loop schedule is kept to the microsecond, not the default 50.
  ::prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
  std::array<epoll_event, 64> events;
  bool stop_seen = false;
  // Waking for every send keeps a vCPU from ever idling long enough for
  // the hypervisor to count it idle; on the 2-core VM of docs/benchmarks.md
  // that alone made the whole VM stall for milliseconds every 100 ms.
  const auto tick = std::chrono::microseconds(std::max(d.spec.tick_us, 0));
  auto next_tick = clock_type::now();
  while (active > 0 && !d.aborting.load(std::memory_order_relaxed)) {
    auto now = clock_type::now();
    if (!stop_seen && d.stopping.load(std::memory_order_relaxed)) {
      // Connections waiting for their next slot have nothing under way.
      stop_seen = true;
      while (!timers.empty()) {
        timers.top().conn->finish();
        timers.pop();
      }
    }
    bool fired = false;
    while (!timers.empty() && timers.top().at <= now && now >= next_tick) {
      fired = true;
      auto next = timers.top();
      timers.pop();
      if (next.reconnect)
        next.conn->connect();
      else
        next.conn->send();
    }
    if (active == 0)
      break;
    if (fired)
      next_tick = now + tick;
    auto wait = std::chrono::nanoseconds(longest_sleep);
    if (!timers.empty())
      wait = std::min(
        wait,
        std::chrono::nanoseconds(std::max(timers.top().at, next_tick) - now));
    wait = std::max(wait, std::chrono::nanoseconds::zero());
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(wait.count() / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(wait.count() % 1'000'000'000);
    int n = ::epoll_pwait2(ep, events.data(), static_cast<int>(events.size()),
                           &ts, nullptr);
    for (int i = 0; i < n; ++i)
      static_cast<connection*>(events[static_cast<std::size_t>(i)].data.ptr)
        ->on_event(events[static_cast<std::size_t>(i)].events);
  }
}

void connection::watch(uint32_t events) {
  if (events == watched)
    return;
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = this;
  ::epoll_ctl(w.ep, watched == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev);
  watched = events;
}

void connection::close_socket() {
  if (fd >= 0)
    ::close(fd); // also leaves the epoll set
  fd = -1;
  watched = 0;
  have = 0;
}

void connection::connect() {
  close_socket();
  auto ep = d.ep;
  fd = ::socket(ep.protocol().family(),
                SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    on_error();
    return;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  at = phase::connecting;
  if (::connect(fd, ep.data(), static_cast<socklen_t>(ep.size())) == 0) {
    on_connected();
    return;
  }
  if (errno != EINPROGRESS) {
    on_error();
    return;
  }
  watch(EPOLLOUT);
}

void connection::on_connected() {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
    on_error();
    return;
  }
  watch(EPOLLIN);
  at = phase::idle;
  if (send_when_connected) {
    send_when_connected = false;
    send();
  } else {
    issue();
  }
}

void connection::issue() {
  auto now = clock_type::now();
  if (d.stopping.load(std::memory_order_relaxed) || now >= d.deadline) {
    finish();
    return;
  }
  if (d.spec.max_jobs > 0) {
    auto per = static_cast<uint64_t>(std::max(d.spec.jobs_per_request, 1));
    if (d.issued.fetch_add(per, std::memory_order_relaxed) >= d.spec.max_jobs) {
      finish();
      return;
    }
  }
  at = phase::idle;
  if (d.spec.rate <= 0) {
    intended = now;
    send();
    return;
  }
  // Open loop: the schedule does not wait for the answers, so a stall shows
  // as latency of every request that should have gone out meanwhile.
  intended = first + interval * static_cast<int64_t>(seq++);
  if (intended <= now)
    send();
  else
    w.later(intended, this, false);
}

void connection::stamp() {
  if (d.spec.stamps.empty())
    return;
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
              intended.time_since_epoch())
              .count();
  char digits[20];
  auto v = stamp_of(static_cast<uint64_t>(ns));
  for (int i = 18; i >= 0; --i, v /= 10)
    digits[i] = static_cast<char>('0' + v % 10);
  for (auto at_offset : d.spec.stamps)
    std::memcpy(req.data() + at_offset, digits, 19);
}

void connection::send() {
  if (fd < 0) { // the server closed it while it waited for its slot
    send_when_connected = true;
    connect();
    return;
  }
  stamp();
  sent = 0;
  at = phase::sending;
  write_some();
}

void connection::write_some() {
  while (sent < req.size()) {
    auto n = ::send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        watch(EPOLLIN | EPOLLOUT); // a large batch: the rest when writable
        return;
      }
      on_error();
      return;
    }
    sent += static_cast<std::size_t>(n);
  }
  watch(EPOLLIN);
  at = phase::reading;
}

void connection::on_event(uint32_t events) {
  switch (at) {
    case phase::connecting: on_connected(); return;
    case phase::sending:
      if (events & (EPOLLERR | EPOLLHUP))
        on_error();
      else if (events & EPOLLOUT)
        write_some();
      return;
    case phase::reading: on_readable(); return;
    case phase::idle: {
      // Nothing is expected on an idle keep-alive connection: the server
      // closed it. Reconnect when the next request is due.
      close_socket();
      return;
    }
    case phase::finished: return;
  }
}

void connection::on_readable() {
  if (have == buf.size())
    buf.resize(buf.size() * 2);
  auto n = ::recv(fd, buf.data() + have, buf.size() - have, 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return;
  if (n <= 0) { // closed or reset before the whole answer
    on_error();
    return;
  }
  have += static_cast<std::size_t>(n);
  http_head head;
  bool ok = true;
  if (!parse_head({buf.data(), have}, true, head, ok))
    return;
  if (!ok || head.chunked) {
    on_error();
    return;
  }
  auto total = head.head_bytes + head.content_length;
  if (have < total) {
    if (buf.size() < total)
      buf.resize(total);
    return;
  }
  on_answer(head);
}

void connection::on_answer(const http_head& head) {
  auto total = head.head_bytes + head.content_length;
  auto latency = clock_type::now() - intended;
  auto ns = static_cast<uint64_t>(
    std::chrono::duration_cast<std::chrono::nanoseconds>(latency).count());
  w.total.record(ns);
  {
    std::lock_guard<std::mutex> guard{w.interval_mtx};
    w.interval.record(ns);
  }
  ++w.requests;
  std::string_view body{buf.data() + head.head_bytes, head.content_length};
  if (head.status >= 200 && head.status < 300) {
    uint64_t jobs = 1;
    if (d.spec.jobs_per_request > 1) {
      jobs = count_of(body, "\"job_id\":\"");
      auto refused = count_of(body, "\"error\":{");
      w.item_errors += refused;
      if (refused)
        w.errors.fetch_add(refused, std::memory_order_relaxed);
    }
    w.accepted.fetch_add(jobs, std::memory_order_relaxed);
    for (auto found = body.find("\"job_id\":\"");
         found != std::string_view::npos && w.ids.size() < max_sample_ids;
         found = body.find("\"job_id\":\"", found + 1)) {
      auto start = found + 10;
      auto end = body.find('"', start);
      if (end == std::string_view::npos)
        break;
      w.ids.emplace_back(body.substr(start, end - start));
    }
  } else {
    ++w.status_errors[head.status];
    w.errors.fetch_add(1, std::memory_order_relaxed);
  }
  // Without pipelining nothing follows the answer; keep any excess anyway.
  std::memmove(buf.data(), buf.data() + total, have - total);
  have -= total;
  if (head.close) {
    close_socket();
    if (d.stopping.load(std::memory_order_relaxed))
      finish();
    else
      connect();
    return;
  }
  issue();
}

void connection::on_error() {
  ++w.status_errors[0];
  w.errors.fetch_add(1, std::memory_order_relaxed);
  close_socket();
  at = phase::idle;
  if (d.stopping.load(std::memory_order_relaxed)
      || clock_type::now() >= d.deadline) {
    finish();
    return;
  }
  // Back off a little: a refused connect must not spin a core.
  w.later(clock_type::now() + reconnect_backoff, this, true);
}

void connection::finish() {
  if (at == phase::finished)
    return;
  at = phase::finished;
  close_socket();
  w.last_finish = clock_type::now();
  --w.active;
  d.active.fetch_sub(1);
}

} // namespace

load_driver::load_driver(load_spec spec) : impl_(std::make_unique<impl>()) {
  impl_->spec = std::move(spec);
}

load_driver::~load_driver() {
  abort();
  join();
}

void load_driver::start() {
  auto& d = *impl_;
  boost::asio::io_context resolve_ctx;
  tcp::resolver resolver{resolve_ctx};
  d.ep
    = *resolver.resolve(d.spec.target.host, std::to_string(d.spec.target.port))
         .begin();
  int threads = std::max(1, d.spec.threads);
  for (int i = 0; i < threads; ++i)
    d.workers.push_back(std::make_unique<worker>(d));
  d.t0 = clock_type::now();
  d.deadline = d.t0
    + std::chrono::nanoseconds(static_cast<int64_t>(d.spec.duration_s * 1e9));
  auto interval = clock_type::duration::zero();
  if (d.spec.rate > 0)
    interval = std::chrono::nanoseconds(
      static_cast<int64_t>(1e9 * d.spec.connections / d.spec.rate));
  for (int i = 0; i < d.spec.connections; ++i) {
    auto& w = *d.workers[static_cast<std::size_t>(i % threads)];
    // Staggered starts spread the open-loop sends evenly over time.
    auto first = d.t0
      + (d.spec.rate > 0 ? std::chrono::nanoseconds(
           static_cast<int64_t>(1e9 * i / d.spec.rate))
                         : std::chrono::nanoseconds::zero());
    w.conns.push_back(
      std::make_unique<connection>(w, d, d.spec.request, first, interval));
    ++w.active;
    d.active.fetch_add(1);
  }
  for (auto& w : d.workers) {
    for (auto& c : w->conns)
      c->connect();
    w->thread = std::thread{[w = w.get()] {
      w->run();
    }};
  }
}

void load_driver::stop() {
  // Each io thread sees it within its longest sleep (10 ms).
  impl_->stopping = true;
}

bool load_driver::done() const {
  return impl_->active.load() == 0;
}

void load_driver::abort() {
  impl_->stopping = true;
  impl_->aborting = true;
}

void load_driver::join() {
  for (auto& w : impl_->workers)
    if (w->thread.joinable())
      w->thread.join();
}

uint64_t load_driver::accepted() const {
  uint64_t n = 0;
  for (auto& w : impl_->workers)
    n += w->accepted.load(std::memory_order_relaxed);
  return n;
}

uint64_t load_driver::errors() const {
  uint64_t n = 0;
  for (auto& w : impl_->workers)
    n += w->errors.load(std::memory_order_relaxed);
  return n;
}

histogram load_driver::take_interval() {
  histogram out;
  for (auto& w : impl_->workers) {
    std::lock_guard<std::mutex> guard{w->interval_mtx};
    out.merge(w->interval);
    w->interval.reset();
  }
  return out;
}

load_totals load_driver::totals() const {
  load_totals t;
  auto last = impl_->t0;
  for (auto& w : impl_->workers) {
    t.latency.merge(w->total);
    t.requests += w->requests;
    t.accepted += w->accepted.load();
    t.item_errors += w->item_errors;
    for (auto [status, n] : w->status_errors)
      t.status_errors[status] += n;
    for (auto& id : w->ids)
      if (t.sample_ids.size() < max_sample_ids)
        t.sample_ids.push_back(id);
    last = std::max(last, w->last_finish);
  }
  if (!done())
    last = clock_type::now();
  t.elapsed_s = std::chrono::duration<double>(last - impl_->t0).count();
  return t;
}

} // namespace ns::bench
