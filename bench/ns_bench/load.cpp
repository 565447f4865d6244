#include "ns_bench/load.hpp"

#include "ns_bench/http_head.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>

namespace ns::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
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

namespace {

constexpr std::size_t max_sample_ids = 8;
constexpr std::size_t initial_buffer = 16 * 1024;

struct worker;

struct connection {
  connection(worker& w, load_driver::impl& d, std::string request,
             clock_type::time_point first, clock_type::duration interval);

  void connect();
  void issue();
  void send();
  void read();
  void on_read(std::size_t n);
  void on_error();
  void finish();
  void stamp();

  worker& w;
  load_driver::impl& d;
  tcp::socket sock;
  asio::steady_timer timer;
  std::string req;
  std::vector<char> buf;
  std::size_t have = 0;
  clock_type::time_point first;
  clock_type::duration interval;
  uint64_t seq = 0;
  clock_type::time_point intended;
  bool finished = false;
};

struct worker {
  asio::io_context ioc{1};
  std::vector<std::unique_ptr<connection>> conns;
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
  std::atomic<int> active{0};
  std::atomic<uint64_t> issued{0};
  clock_type::time_point t0;
  clock_type::time_point deadline;
};

namespace {

connection::connection(worker& w, load_driver::impl& d, std::string request,
                       clock_type::time_point first,
                       clock_type::duration interval)
  : w(w), d(d), sock(w.ioc), timer(w.ioc), req(std::move(request)),
    buf(initial_buffer), first(first), interval(interval) {}

void connection::connect() {
  sock = tcp::socket{w.ioc};
  have = 0;
  sock.async_connect(d.ep, [this](boost::system::error_code ec) {
    if (ec) {
      on_error();
      return;
    }
    sock.set_option(tcp::no_delay{true});
    issue();
  });
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
  if (d.spec.rate <= 0) {
    intended = now;
    send();
    return;
  }
  // Open loop: the schedule does not wait for the answers, so a stall shows
  // as latency of every request that should have gone out meanwhile.
  intended = first + interval * static_cast<int64_t>(seq++);
  if (intended <= now) {
    send();
    return;
  }
  timer.expires_at(intended);
  timer.async_wait([this](boost::system::error_code ec) {
    if (ec)
      finish();
    else
      send();
  });
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
  for (auto at : d.spec.stamps)
    std::memcpy(req.data() + at, digits, 19);
}

void connection::send() {
  stamp();
  asio::async_write(sock, asio::buffer(req),
                    [this](boost::system::error_code ec, std::size_t) {
                      if (ec)
                        on_error();
                      else
                        read();
                    });
}

void connection::read() {
  if (have == buf.size())
    buf.resize(buf.size() * 2);
  sock.async_read_some(asio::buffer(buf.data() + have, buf.size() - have),
                       [this](boost::system::error_code ec, std::size_t n) {
                         if (ec)
                           on_error();
                         else
                           on_read(n);
                       });
}

void connection::on_read(std::size_t n) {
  have += n;
  http_head head;
  bool ok = true;
  if (!parse_head({buf.data(), have}, true, head, ok)) {
    read();
    return;
  }
  if (!ok || head.chunked) {
    on_error();
    return;
  }
  auto total = head.head_bytes + head.content_length;
  if (have < total) {
    if (buf.size() < total)
      buf.resize(total);
    read();
    return;
  }
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
    for (auto at = body.find("\"job_id\":\"");
         at != std::string_view::npos && w.ids.size() < max_sample_ids;
         at = body.find("\"job_id\":\"", at + 1)) {
      auto start = at + 10;
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
    boost::system::error_code ignored;
    sock.close(ignored);
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
  boost::system::error_code ignored;
  sock.close(ignored);
  if (d.stopping.load(std::memory_order_relaxed)
      || clock_type::now() >= d.deadline) {
    finish();
    return;
  }
  // Back off a little: a refused connect must not spin a core.
  timer.expires_after(std::chrono::milliseconds(10));
  timer.async_wait([this](boost::system::error_code ec) {
    if (ec)
      finish();
    else
      connect();
  });
}

void connection::finish() {
  if (finished)
    return;
  finished = true;
  boost::system::error_code ignored;
  sock.close(ignored);
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
  asio::io_context resolve_ctx;
  tcp::resolver resolver{resolve_ctx};
  d.ep
    = *resolver.resolve(d.spec.target.host, std::to_string(d.spec.target.port))
         .begin();
  int threads = std::max(1, d.spec.threads);
  for (int i = 0; i < threads; ++i)
    d.workers.push_back(std::make_unique<worker>());
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
    w->thread = std::thread{[&ioc = w->ioc] {
      ioc.run();
    }};
  }
}

void load_driver::stop() {
  impl_->stopping = true;
  // Timers waiting for an open-loop slot would otherwise sleep on.
  for (auto& w : impl_->workers)
    asio::post(w->ioc, [w = w.get()] {
      for (auto& c : w->conns)
        c->timer.cancel();
    });
}

bool load_driver::done() const {
  return impl_->active.load() == 0;
}

void load_driver::abort() {
  impl_->stopping = true;
  for (auto& w : impl_->workers)
    w->ioc.stop();
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
