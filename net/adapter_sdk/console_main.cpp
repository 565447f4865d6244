// ns-adapter-console: the reference external adapter. Prints every job it
// receives as one JSON line (stdout or a file), so an operator can watch jobs
// arrive; built on the SDK like any real adapter would be.

#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include <boost/json/serialize.hpp>

#include "net/adapter_sdk/adapter.hpp"

namespace {

constexpr const char* usage = R"(usage: ns-adapter-console [options]

Connects to nsd as an instance of one external adapter and handles each job
by printing it as one JSON line: {"job_id", "attempt", "idempotency_key",
"params", "outcome"}. Run several to share the adapter's queue.

options:
  --endpoint=URL   nsd's adapters.listen endpoint   [tcp://127.0.0.1:5570]
  --key=KEY        the adapter key (nsa_...); or set NS_ADAPTER_KEY
  --credit=N       jobs held at once (1-10000)                       [8]
  --workers=N      handler threads (0: as many as credit, at most 64) [0]
  --name=TEXT      names this instance in nsd's log and admin view
  --delay-ms=N     pretend each job takes N ms (a cancel cuts it short) [0]
  --out=FILE       append the JSON lines to FILE instead of stdout
  --quiet          print no jobs (only the SDK's own messages)
  --help           this text

Stops on SIGINT/SIGTERM (says bye; nsd delivers unfinished jobs again).
Exits 1 when nsd refuses the key (unknown, rotated, adapter deleted).
)";

bool number(std::string_view text, uint64_t& out) {
  auto [p, e] = std::from_chars(text.data(), text.data() + text.size(), out);
  return e == std::errc{} && p == text.data() + text.size();
}

} // namespace

int main(int argc, char** argv) {
  ns::adapter_sdk::options opts;
  uint64_t delay_ms = 0;
  std::string out_path;
  bool quiet = false;
  if (auto* key = std::getenv("NS_ADAPTER_KEY"))
    opts.key = key;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg{argv[i]};
    auto value = [&](std::string_view name, std::string_view& v) {
      if (arg.substr(0, name.size()) != name)
        return false;
      v = arg.substr(name.size());
      return true;
    };
    std::string_view v;
    uint64_t n = 0;
    if (arg == "--help" || arg == "-h") {
      std::fputs(usage, stdout);
      return 0;
    } else if (arg == "--quiet") {
      quiet = true;
    } else if (value("--endpoint=", v)) {
      opts.endpoint = v;
    } else if (value("--key=", v)) {
      opts.key = v;
    } else if (value("--name=", v)) {
      opts.name = v;
    } else if (value("--out=", v)) {
      out_path = v;
    } else if (value("--credit=", v) && number(v, n) && n >= 1 && n <= 10'000) {
      opts.credit = static_cast<uint32_t>(n);
    } else if (value("--workers=", v) && number(v, n) && n <= 10'000) {
      opts.workers = static_cast<unsigned>(n);
    } else if (value("--delay-ms=", v) && number(v, n)) {
      delay_ms = n;
    } else {
      std::fprintf(stderr,
                   "ns-adapter-console: bad argument '%s' (see --help)\n",
                   argv[i]);
      return 2;
    }
  }
  if (opts.key.empty()) {
    std::fputs("ns-adapter-console: no key: give --key=nsa_... or set "
               "NS_ADAPTER_KEY\n",
               stderr);
    return 2;
  }
  std::FILE* out = stdout;
  if (!out_path.empty()
      && (out = std::fopen(out_path.c_str(), "a")) == nullptr) {
    std::fprintf(stderr, "ns-adapter-console: cannot open %s\n",
                 out_path.c_str());
    return 2;
  }
  opts.log = [](std::string_view text) {
    std::fprintf(stderr, "ns-adapter-console: %.*s\n",
                 static_cast<int>(text.size()), text.data());
  };

  // Signals are taken by sigwait() below; the SDK's threads inherit the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::mutex out_mtx;
  auto handle = [&](const ns::adapter_sdk::job& j) {
    auto res = ns::adapter_sdk::result::succeeded();
    if (delay_ms > 0
        && j.sleep_unless_canceled(std::chrono::milliseconds(delay_ms)))
      res = ns::adapter_sdk::result::canceled();
    if (!quiet) {
      boost::json::object line{
        {"job_id", j.id},
        {"attempt", j.attempt},
        {"idempotency_key", j.idempotency_key},
        {"params", j.params},
        {"outcome",
         res.what == ns::adapter_sdk::result::kind::canceled ? "canceled"
                                                             : "succeeded"}};
      auto text = boost::json::serialize(line) + "\n";
      std::lock_guard<std::mutex> guard{out_mtx};
      std::fputs(text.c_str(), out);
      std::fflush(out);
    }
    return res;
  };
  ns::adapter_sdk::adapter ad{opts, handle};
  std::string refusal;
  std::thread runner{[&] {
    refusal = ad.run();
    // Wakes the sigwait below when run() ends on its own.
    if (!refusal.empty())
      ::kill(::getpid(), SIGTERM);
  }};
  int sig = 0;
  sigwait(&stop_signals, &sig);
  ad.stop();
  runner.join();
  if (out != stdout)
    std::fclose(out);
  if (!refusal.empty()) {
    std::fprintf(stderr, "ns-adapter-console: refused: %s\n", refusal.c_str());
    return 1;
  }
  return 0;
}
