#include "ns_bench/cli.hpp"

#include <charconv>
#include <set>

#include "ns_bench/sweep.hpp"
#include "ns_bench/url.hpp"

namespace ns::bench {

namespace {

const std::set<std::string> scenarios
  = {"ingest", "e2e", "batch", "backlog", "recovery", "memory", "url"};

parse_result fail(std::string msg) {
  return {std::nullopt, "ns-bench: " + msg + " (see ns-bench --help)", 2};
}

template <class T>
bool parse_number(const std::string& text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

} // namespace

std::string usage() {
  return R"(ns-bench: load and latency harness for nsd

usage: ns-bench <scenario> [options]
       ns-bench sweep <scenario> --vary <what>=<v1,v2,...> [options]

scenarios:
  ingest    POST /v1/jobs to a blocked adapter: the accept path only
  e2e       jobs to a webhook adapter pointing at ns-bench's own receiver:
            accepted/s, delivered/s and create->delivered latency
  batch     POST /v1/jobs/batch (--batch, default 1000 jobs per request)
  backlog   queue --jobs on a blocked adapter, unblock, time the drain
  recovery  queue --jobs on a blocked adapter, kill -9 nsd, restart it on
            the same data dir, time until /readyz answers 200 (needs --nsd)
  memory    RSS per live job: RSS before and after --jobs queued jobs with
            jobs.max_live=--jobs (needs --nsd); with --backlog: default
            max_live, RSS sampled through accept and drain, peak vs bound
  url       GET --url as fast as it goes (the machine's ceiling)

load:
  --connections N     keep-alive connections (default 16)
  --rate R            open loop at R requests/s in total, latency from each
                      request's intended send time; 0 = closed loop (default 0)
  --duration S        seconds of load (default 10)
  --jobs N            stop after N jobs instead (default 0 = use --duration;
                      backlog, recovery, memory: 10000)
  --batch K           jobs per request via /v1/jobs/batch (default 1; batch: 1000)
  --threads T         io threads, 1 or 2 (default 1)
  --tick US           open loop: requests that are due go out together every
                      US microseconds (default 500; wrk2 uses 1000); latency
                      still counts from each one's intended time
  --url URL           url scenario: the http:// URL to GET

nsd:
  --nsd PATH          start this nsd binary on a temp data dir and free port
  --set KEY=VALUE     pass --KEY=VALUE to the started nsd (repeatable)
  --target URL        attach to a running nsd at http://host:port instead
  --admin-token T     its admin token (with --target)
  --nsd-pid PID       its pid, for RSS and CPU (with --target; optional)
  --adapter-concurrency N  concurrency of the bench's webhook adapter (default 64)
  --drain-timeout S   longest wait for deliveries after the load (default 60)
  --backlog           memory: the backlog variant
  --keep              keep the started nsd's temp dir (and log)

sweep:
  --vary SPEC         connections=1,4,16 | rate=1000,2000 |
                      nsd:section.key=v1,v2 (restarts nsd per point)
  --p99-bound MS      the knee: highest throughput with p99 under this
                      (default 5)
  --plot FILE.png     latency (p50, p99) vs throughput, via gnuplot

output:
  --json              the final report as JSON on stdout (table to stderr)
  --quiet             no live line once a second on stderr
  --help              this text

Exit: 0 done, 1 the run failed, 2 bad command line, 130 interrupted (SIGINT:
the partial report is printed). A started nsd is killed on every exit.
)";
}

parse_result parse_cli(int argc, char** argv) {
  options o;
  std::vector<std::string> positional;
  bool batch_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h")
      return {std::nullopt, usage(), 0};
    if (arg.rfind("--", 0) != 0) {
      positional.push_back(arg);
      continue;
    }
    std::string name = arg;
    std::string value;
    bool has_value = false;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    auto flag = [&](bool& out) {
      if (has_value)
        return false;
      out = true;
      return true;
    };
    if (name == "--json") {
      if (!flag(o.json))
        return fail("--json takes no value");
      continue;
    }
    if (name == "--backlog") {
      if (!flag(o.backlog))
        return fail("--backlog takes no value");
      continue;
    }
    if (name == "--quiet") {
      if (!flag(o.quiet))
        return fail("--quiet takes no value");
      continue;
    }
    if (name == "--keep") {
      if (!flag(o.keep))
        return fail("--keep takes no value");
      continue;
    }
    if (!has_value) {
      if (i + 1 >= argc)
        return fail("option " + name + " needs a value");
      value = argv[++i];
    }
    auto bad = [&](const std::string& what) {
      return fail("option " + name + ": '" + value + "' is not " + what);
    };
    if (name == "--connections") {
      if (!parse_number(value, o.connections) || o.connections < 1
          || o.connections > 10000)
        return bad("a number of connections in 1..10000");
    } else if (name == "--rate") {
      if (!parse_number(value, o.rate) || o.rate < 0)
        return bad("a rate >= 0");
    } else if (name == "--duration") {
      if (!parse_number(value, o.duration_s) || o.duration_s <= 0)
        return bad("a number of seconds > 0");
    } else if (name == "--jobs") {
      if (!parse_number(value, o.jobs))
        return bad("a number of jobs");
    } else if (name == "--batch") {
      if (!parse_number(value, o.batch) || o.batch < 1 || o.batch > 1000)
        return bad("a batch size in 1..1000");
      batch_given = true;
    } else if (name == "--threads") {
      if (!parse_number(value, o.threads) || o.threads < 1 || o.threads > 2)
        return bad("1 or 2");
    } else if (name == "--tick") {
      if (!parse_number(value, o.tick_us) || o.tick_us < 0
          || o.tick_us > 100000)
        return bad("microseconds in 0..100000");
    } else if (name == "--nsd") {
      o.nsd_path = value;
    } else if (name == "--set") {
      auto eq = value.find('=');
      if (eq == std::string::npos || eq == 0
          || value.find('.') == std::string::npos)
        return bad("section.key=value");
      o.nsd_settings.push_back(value);
    } else if (name == "--target") {
      if (!parse_url(value))
        return bad("an http://host:port URL");
      o.target = value;
    } else if (name == "--admin-token") {
      o.admin_token = value;
    } else if (name == "--nsd-pid") {
      if (!parse_number(value, o.nsd_pid) || o.nsd_pid <= 0)
        return bad("a pid");
    } else if (name == "--url") {
      if (!parse_url(value))
        return bad("an http://host[:port][/path] URL");
      o.url = value;
    } else if (name == "--adapter-concurrency") {
      if (!parse_number(value, o.adapter_concurrency)
          || o.adapter_concurrency < 1)
        return bad("a concurrency >= 1");
    } else if (name == "--drain-timeout") {
      if (!parse_number(value, o.drain_timeout_s) || o.drain_timeout_s <= 0)
        return bad("a number of seconds > 0");
    } else if (name == "--vary") {
      o.vary = value;
    } else if (name == "--p99-bound") {
      if (!parse_number(value, o.p99_bound_ms) || o.p99_bound_ms <= 0)
        return bad("milliseconds > 0");
    } else if (name == "--plot") {
      o.plot = value;
    } else {
      return fail("unknown option " + name);
    }
  }
  if (positional.empty())
    return fail("no scenario given");
  if (positional[0] == "sweep") {
    o.sweep = true;
    positional.erase(positional.begin());
    if (positional.empty())
      return fail("sweep needs a scenario");
    if (o.vary.empty())
      return fail("sweep needs --vary");
    std::string error;
    auto vary = parse_vary(o.vary, error);
    if (!vary)
      return fail(error);
    if (vary->kind == vary_spec::nsd_setting && o.nsd_path.empty())
      return fail("--vary nsd:... needs --nsd");
  } else if (!o.vary.empty() || !o.plot.empty()) {
    return fail("--vary and --plot are for sweep");
  }
  if (positional.size() > 1)
    return fail("unexpected argument '" + positional[1] + "'");
  o.scenario = positional[0];
  if (!scenarios.count(o.scenario))
    return fail("unknown scenario '" + o.scenario + "'");
  if (o.scenario == "url") {
    if (o.url.empty())
      return fail("the url scenario needs --url");
  } else {
    if (o.nsd_path.empty() == o.target.empty())
      return fail("give either --nsd PATH or --target URL");
    if (!o.target.empty() && o.admin_token.empty())
      return fail("--target needs --admin-token");
    if (!o.target.empty()
        && (o.scenario == "recovery" || o.scenario == "memory"))
      return fail("the " + o.scenario
                  + " scenario needs --nsd (it restarts"
                    " or reconfigures nsd)");
    if (!o.target.empty() && !o.nsd_settings.empty())
      return fail("--set needs --nsd");
  }
  if (o.scenario == "batch" && !batch_given)
    o.batch = 1000;
  bool counted = o.scenario == "backlog" || o.scenario == "recovery"
    || o.scenario == "memory";
  if (counted && o.jobs == 0)
    o.jobs = 10000;
  return {o, "", 0};
}

} // namespace ns::bench
