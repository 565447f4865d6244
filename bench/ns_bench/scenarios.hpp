#pragma once

#include <atomic>

#include "ns_bench/cli.hpp"
#include "ns_bench/report.hpp"

namespace ns::bench {

/// Set on SIGINT/SIGTERM: every phase stops and the partial report is shown.
extern std::atomic<bool> interrupted;

/// Runs one scenario as `o` says (starting nsd when asked, and killing it
/// before returning).
result run_scenario(const options& o);

} // namespace ns::bench
