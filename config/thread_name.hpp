#pragma once

namespace ns {

/// Names the calling thread (at most 15 characters, e.g. "ns.commit") so
/// that `top -H`, perf and /proc show which part of nsd uses the CPU.
void name_this_thread(const char* name);

} // namespace ns
