#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ns_bench/cli.hpp"

namespace ns::bench {

/// `--vary` parsed: what changes per point and its values.
struct vary_spec {
  enum kind_t { connections, rate, nsd_setting } kind = connections;
  std::string key; // nsd_setting: "section.key"
  std::vector<std::string> values;
};

/// nullopt and `error` set when the text is not a valid --vary.
std::optional<vary_spec> parse_vary(const std::string& text,
                                    std::string& error);

/// Runs the scenario once per point (a fresh nsd each when ns-bench starts
/// it), prints a table per point and the knee, writes --plot. Returns the
/// process exit code.
int run_sweep(const options& o);

} // namespace ns::bench
