// ns-bench: drives nsd (or any plain HTTP GET URL) and reports throughput,
// latency and nsd's memory and CPU. `ns-bench --help` lists every option.
#include <csignal>
#include <iostream>

#include <boost/json/serialize.hpp>

#include "ns_bench/cli.hpp"
#include "ns_bench/report.hpp"
#include "ns_bench/scenarios.hpp"
#include "ns_bench/sweep.hpp"

namespace {

extern "C" void on_signal(int) {
  // Only a lock-free atomic store: the phases poll it and wind down.
  ns::bench::interrupted.store(true);
}

} // namespace

int main(int argc, char** argv) {
  using namespace ns::bench;
  auto parsed = parse_cli(argc, argv);
  if (!parsed.opts) {
    (parsed.exit_code == 0 ? std::cout : std::cerr) << parsed.message;
    if (!parsed.message.empty() && parsed.message.back() != '\n')
      (parsed.exit_code == 0 ? std::cout : std::cerr) << '\n';
    return parsed.exit_code;
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  const auto& o = *parsed.opts;
  if (o.sweep)
    return run_sweep(o);
  auto r = run_scenario(o);
  if (o.json) {
    std::cerr << format_table(r);
    std::cout << boost::json::serialize(to_json(r)) << std::endl;
  } else {
    std::cout << format_table(r);
  }
  if (!r.failure.empty()) {
    std::cerr << "ns-bench: " << r.failure << '\n';
    return 1;
  }
  return r.interrupted ? 130 : 0;
}
