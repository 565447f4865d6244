#include "ns_bench/scenarios.hpp"

#include <chrono>
#include <functional>
#include <iostream>
#include <random>
#include <stdexcept>
#include <thread>

#include "ns_bench/admin.hpp"
#include "ns_bench/load.hpp"
#include "ns_bench/nsd_process.hpp"
#include "ns_bench/proc_stats.hpp"
#include "ns_bench/receiver.hpp"

namespace ns::bench {

std::atomic<bool> interrupted{false};

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

// The 19 digits every stamp has (see stamp_of), overwritten per send.
constexpr std::string_view stamp_placeholder = "1000000000000000000";

/// Everything one run holds; the nsd it started dies with it.
struct context {
  explicit context(const options& opts) : o(opts) {
  }

  const options& o;
  std::unique_ptr<nsd_process> nsd;
  std::unique_ptr<receiver> rx;
  std::unique_ptr<admin_client> admin;
  http_url base;
  int pid = 0;
  uint64_t rss_peak_seen = 0;
  result r;

  void sample_rss() {
    auto s = sample_proc(pid);
    rss_peak_seen = std::max({rss_peak_seen, s.rss_bytes, s.peak_rss_bytes});
  }
};

std::string random_suffix() {
  std::random_device rd;
  return std::to_string(rd() % 100000000);
}

void start_nsd(context& c, std::vector<std::string> settings) {
  if (c.o.target.empty()) {
    c.nsd = std::make_unique<nsd_process>(c.o.nsd_path, std::move(settings),
                                          c.o.keep);
    if (auto err = c.nsd->start(); !err.empty())
      throw std::runtime_error(err);
    c.base = c.nsd->url();
    c.pid = c.nsd->pid();
    c.admin = std::make_unique<admin_client>(c.base, c.nsd->token());
  } else {
    c.base = *parse_url(c.o.target);
    c.pid = c.o.nsd_pid;
    if (!wait_ready(c.base, 10))
      throw std::runtime_error(c.o.target + "/readyz does not answer 200");
    c.admin = std::make_unique<admin_client>(c.base, c.o.admin_token);
  }
  c.r.target = c.base.str();
}

/// A webhook adapter (to the receiver, or to a port nobody serves when it
/// stays blocked) and a client; fills r.api_key and r.adapter.
void setup_nsd(context& c, bool blocked) {
  auto name = "bench-" + random_suffix();
  auto hook = c.rx ? c.rx->url() : std::string{"http://127.0.0.1:9/unused"};
  c.r.api_key = c.admin->setup(name, hook, blocked, c.o.adapter_concurrency);
  c.r.adapter = name;
}

load_spec job_spec(const context& c) {
  load_spec s;
  s.target = c.base;
  s.connections = c.o.connections;
  s.threads = c.o.threads;
  s.rate = c.o.rate;
  s.tick_us = c.o.tick_us;
  s.duration_s = c.o.duration_s;
  s.max_jobs = c.o.jobs;
  // --jobs bounds the counted scenarios; the duration is then only a cap.
  if (c.o.jobs > 0 && c.o.scenario != "ingest" && c.o.scenario != "e2e"
      && c.o.scenario != "batch")
    s.duration_s = std::max(c.o.duration_s, 3600.0);
  s.jobs_per_request = c.o.batch;
  auto job = std::string{R"({"adapter":")"} + c.r.adapter
    + R"(","params":{"t":)" + std::string{stamp_placeholder}
    + R"(,"text":"ns-bench"}})";
  std::string body;
  std::vector<std::size_t> stamps_in_body;
  auto add_job = [&] {
    stamps_in_body.push_back(body.size() + job.find(stamp_placeholder));
    body += job;
  };
  if (c.o.batch > 1) {
    body = R"({"jobs":[)";
    for (int i = 0; i < c.o.batch; ++i) {
      if (i > 0)
        body += ',';
      add_job();
    }
    body += "]}";
  } else {
    add_job();
  }
  auto head = std::string{"POST "}
    + (c.o.batch > 1 ? "/v1/jobs/batch" : "/v1/jobs") + " HTTP/1.1\r\nHost: "
    + c.base.host_port() + "\r\nX-Api-Key: " + c.r.api_key
    + "\r\nContent-Type: application/json\r\nContent-Length: "
    + std::to_string(body.size()) + "\r\n\r\n";
  for (auto at : stamps_in_body)
    s.stamps.push_back(head.size() + at);
  s.request = head + body;
  return s;
}

load_spec get_spec(const context& c, const http_url& url) {
  load_spec s;
  s.target = url;
  s.connections = c.o.connections;
  s.threads = c.o.threads;
  s.rate = c.o.rate;
  s.tick_us = c.o.tick_us;
  s.duration_s = c.o.duration_s;
  s.max_jobs = c.o.jobs;
  s.jobs_per_request = 0;
  s.request
    = "GET " + url.path + " HTTP/1.1\r\nHost: " + url.host_port() + "\r\n\r\n";
  return s;
}

/// Waits while `busy()` holds (or until interrupted / `max_s`), printing the
/// live line once a second; `tick` runs once a second too.
void monitor(context& c, load_driver* ld, const std::function<bool()>& busy,
             double max_s, const std::function<void()>& tick = {}) {
  auto start = clock_type::now();
  auto last = start;
  auto last_proc = sample_proc(c.pid);
  uint64_t last_acc = ld ? ld->accepted() : 0;
  uint64_t last_del = c.rx ? c.rx->delivered() : 0;
  while (busy() && !interrupted && seconds_since(start) < max_s) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    c.sample_rss();
    if (seconds_since(last) < 1.0)
      continue;
    auto now = clock_type::now();
    double dt = std::chrono::duration<double>(now - last).count();
    last = now;
    auto proc = sample_proc(c.pid);
    uint64_t acc = ld ? ld->accepted() : 0;
    uint64_t del = c.rx ? c.rx->delivered() : 0;
    auto interval = ld ? ld->take_interval() : histogram{};
    if (tick)
      tick();
    if (!c.o.quiet)
      std::cerr << format_live(
        seconds_since(start), static_cast<double>(acc - last_acc) / dt,
        static_cast<double>(del - last_del) / dt, ms(interval.percentile(99)),
        ld ? ld->errors() : 0, static_cast<double>(proc.rss_bytes) / 1048576.0,
        cpu_percent(last_proc, proc, dt))
                << std::endl;
    last_proc = proc;
    last_acc = acc;
    last_del = del;
  }
}

/// Runs the load to its end (duration, --jobs, or SIGINT) and fills the
/// accept side of the result.
void run_load(context& c, load_spec spec,
              const std::function<void()>& tick = {}) {
  auto& r = c.r;
  r.connections = spec.connections;
  r.rate = spec.rate;
  r.batch = std::max(spec.jobs_per_request, 1);
  r.threads = spec.threads;
  load_driver ld{spec};
  auto before = sample_proc(c.pid);
  auto t0 = clock_type::now();
  ld.start();
  monitor(
    c, &ld,
    [&] {
      return !ld.done();
    },
    spec.duration_s + 1, tick);
  ld.stop();
  // Requests under way get a grace period; an nsd that hangs does not hang us.
  auto grace = clock_type::now();
  while (!ld.done() && seconds_since(grace) < 10)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  double busy_s = seconds_since(t0);
  ld.abort();
  ld.join();
  auto after = sample_proc(c.pid);
  auto t = ld.totals();
  r.elapsed_s = t.elapsed_s;
  r.requests = t.requests;
  r.accepted = t.accepted;
  r.accepted_per_s
    = t.elapsed_s > 0 ? static_cast<double>(t.accepted) / t.elapsed_s : 0;
  r.accept_latency = t.latency;
  for (auto [status, n] : t.status_errors)
    r.errors[status == 0 ? "io" : std::to_string(status)] += n;
  if (t.item_errors)
    r.errors["batch_item"] += t.item_errors;
  r.sample_ids = t.sample_ids;
  r.nsd_cpu_percent = cpu_percent(before, after, busy_s);
  if (interrupted)
    r.interrupted = true;
}

/// Waits until the receiver has `want` deliveries, progress stalls for 10 s,
/// or --drain-timeout passes.
void drain(context& c, uint64_t want, const std::function<void()>& tick = {}) {
  auto last_count = c.rx->delivered();
  auto last_progress = clock_type::now();
  monitor(
    c, nullptr,
    [&] {
      auto n = c.rx->delivered();
      if (n != last_count) {
        last_count = n;
        last_progress = clock_type::now();
      }
      return n < want && seconds_since(last_progress) < 10;
    },
    c.o.drain_timeout_s, tick);
  if (interrupted)
    c.r.interrupted = true;
}

void fill_delivery(context& c, uint64_t since_ns) {
  auto& r = c.r;
  r.delivered = c.rx->delivered();
  r.delivered_latency = c.rx->latencies();
  auto last = c.rx->last_delivery_ns();
  if (last > since_ns && r.delivered > 0)
    r.delivered_per_s = static_cast<double>(r.delivered)
      / (static_cast<double>(last - since_ns) / 1e9);
}

void finish_proc(context& c) {
  auto s = sample_proc(c.pid);
  c.sample_rss();
  c.r.nsd_rss_final = s.rss_bytes;
  c.r.nsd_rss_peak = std::max(c.rss_peak_seen, s.peak_rss_bytes);
}

void add(context& c, const std::string& name, double v) {
  c.r.extra.emplace_back(name, v);
}

double mib(uint64_t bytes) {
  return static_cast<double>(bytes) / 1048576.0;
}

// --- the scenarios ---------------------------------------------------------

void ingest(context& c) {
  start_nsd(c, c.o.nsd_settings);
  setup_nsd(c, true);
  run_load(c, job_spec(c));
}

void e2e(context& c) {
  c.rx = std::make_unique<receiver>();
  start_nsd(c, c.o.nsd_settings);
  setup_nsd(c, false);
  auto t0 = steady_now_ns();
  run_load(c, job_spec(c));
  if (!interrupted)
    drain(c, c.r.accepted);
  fill_delivery(c, t0);
}

void backlog(context& c) {
  c.rx = std::make_unique<receiver>();
  start_nsd(c, c.o.nsd_settings);
  setup_nsd(c, true);
  run_load(c, job_spec(c));
  if (interrupted)
    return;
  auto t0 = steady_now_ns();
  auto start = clock_type::now();
  c.admin->set_blocked(c.r.adapter, false);
  drain(c, c.r.accepted);
  double drain_s = static_cast<double>(c.rx->last_delivery_ns() - t0) / 1e9;
  fill_delivery(c, t0);
  add(c, "drain_s", c.rx->delivered() ? drain_s : seconds_since(start));
  add(c, "drain_jobs_per_s", c.r.delivered_per_s);
}

void recovery(context& c) {
  start_nsd(c, c.o.nsd_settings);
  setup_nsd(c, true);
  run_load(c, job_spec(c));
  if (interrupted)
    return;
  auto before = waiting_jobs(c.admin->stats());
  add(c, "rss_before_kill_mib", mib(sample_proc(c.pid).rss_bytes));
  c.nsd->kill9();
  auto t0 = clock_type::now();
  if (auto err = c.nsd->start(300); !err.empty())
    throw std::runtime_error("restart after kill -9: " + err);
  double ready_s = seconds_since(t0);
  c.base = c.nsd->url();
  c.pid = c.nsd->pid();
  c.admin = std::make_unique<admin_client>(c.base, c.nsd->token());
  auto after = waiting_jobs(c.admin->stats());
  add(c, "jobs_waiting_before_kill", before);
  add(c, "recovery_s", ready_s);
  add(c, "jobs_recovered", after);
  // The restarted process is another one: report its memory after recovery.
  c.rss_peak_seen = 0;
}

/// Waits until nsd's group commit has nothing pending (the jobs are placed).
void settle(context& c) {
  for (int i = 0; i < 100 && !interrupted; ++i) {
    if (stat_number(c.admin->stats(), "store_pending_writes") == 0)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
}

void memory(context& c) {
  auto settings = c.o.nsd_settings;
  bool has_max_live = false;
  for (const auto& s : settings)
    has_max_live |= s.rfind("jobs.max_live=", 0) == 0;
  if (c.o.backlog) {
    c.rx = std::make_unique<receiver>();
  } else if (!has_max_live) {
    settings.push_back("jobs.max_live=" + std::to_string(c.o.jobs));
  }
  start_nsd(c, settings);
  setup_nsd(c, true);
  settle(c);
  auto idle = sample_proc(c.pid).rss_bytes;
  double max_live = stat_number(c.admin->stats(), "max_live_jobs");
  if (!c.o.backlog) {
    run_load(c, job_spec(c));
    settle(c);
    auto stats = c.admin->stats();
    auto loaded = sample_proc(c.pid).rss_bytes;
    double live = stat_number(stats, "live_jobs");
    add(c, "rss_before_mib", mib(idle));
    add(c, "rss_after_mib", mib(loaded));
    add(c, "live_jobs", live);
    add(c, "max_live_jobs", max_live);
    add(c, "bytes_per_live_job",
        live > 0
          ? (static_cast<double>(loaded) - static_cast<double>(idle)) / live
          : 0);
    return;
  }
  double peak_live = 0;
  double peak_backlog = 0;
  auto poll = [&] {
    auto s = c.admin->stats();
    peak_live = std::max(peak_live, stat_number(s, "live_jobs"));
    peak_backlog = std::max(peak_backlog, stat_number(s, "backlog_jobs"));
  };
  run_load(c, job_spec(c), poll);
  poll();
  auto loaded = sample_proc(c.pid).rss_bytes;
  if (!interrupted) {
    auto t0 = steady_now_ns();
    c.admin->set_blocked(c.r.adapter, false);
    drain(c, c.r.accepted, poll);
    fill_delivery(c, t0);
  }
  finish_proc(c);
  add(c, "rss_idle_mib", mib(idle));
  add(c, "rss_after_accept_mib", mib(loaded));
  add(c, "rss_peak_mib", mib(c.r.nsd_rss_peak));
  add(c, "max_live_jobs", max_live);
  add(c, "peak_live_jobs", peak_live);
  add(c, "peak_backlog_jobs", peak_backlog);
}

void url(context& c) {
  auto u = *parse_url(c.o.url);
  c.pid = c.o.nsd_pid;
  c.r.target = u.str();
  run_load(c, get_spec(c, u));
}

} // namespace

result run_scenario(const options& o) {
  context c{o};
  c.r.scenario = o.scenario;
  c.r.connections = o.connections;
  c.r.rate = o.rate;
  c.r.batch = o.batch;
  c.r.threads = o.threads;
  try {
    if (o.scenario == "ingest" || o.scenario == "batch")
      ingest(c);
    else if (o.scenario == "e2e")
      e2e(c);
    else if (o.scenario == "backlog")
      backlog(c);
    else if (o.scenario == "recovery")
      recovery(c);
    else if (o.scenario == "memory")
      memory(c);
    else
      url(c);
  } catch (const std::exception& e) {
    c.r.failure = e.what();
  }
  if (c.rx && c.r.delivered == 0) {
    c.r.delivered = c.rx->delivered();
    c.r.delivered_latency = c.rx->latencies();
  }
  finish_proc(c);
  if (interrupted)
    c.r.interrupted = true;
  return c.r;
}

} // namespace ns::bench
