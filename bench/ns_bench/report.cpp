#include "ns_bench/report.hpp"

#include <cstdio>

#include <boost/json.hpp>

namespace ns::bench {

namespace json = boost::json;

uint64_t result::error_count() const {
  uint64_t n = 0;
  for (const auto& [k, v] : errors)
    n += v;
  return n;
}

namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), f, v);
  return buf;
}

json::object latency_json(const histogram& h) {
  return {{"count", h.count()},
          {"p50_ms", ms(h.percentile(50))},
          {"p90_ms", ms(h.percentile(90))},
          {"p99_ms", ms(h.percentile(99))},
          {"p99_9_ms", ms(h.percentile(99.9))},
          {"max_ms", ms(h.max())},
          {"mean_ms", h.mean() / 1e6}};
}

std::string latency_row(const char* name, const histogram& h) {
  return std::string{name} + fmt("  p50 %.3f", ms(h.percentile(50)))
    + fmt("  p90 %.3f", ms(h.percentile(90)))
    + fmt("  p99 %.3f", ms(h.percentile(99)))
    + fmt("  p99.9 %.3f", ms(h.percentile(99.9)))
    + fmt("  max %.3f ms", ms(h.max()))
    + fmt("  (%.0f samples)\n", static_cast<double>(h.count()));
}

} // namespace

std::string format_table(const result& r) {
  std::string out;
  out += "scenario        " + r.scenario
    + (r.interrupted ? " (interrupted)" : "") + "\n";
  if (!r.failure.empty())
    out += "FAILED          " + r.failure + "\n";
  out += "target          " + r.target + "\n";
  out += "load            " + std::to_string(r.connections) + " connections, "
    + (r.rate > 0 ? fmt("open loop at %.0f req/s", r.rate)
                  : std::string{"closed loop"})
    + ", " + std::to_string(r.batch) + " job(s)/request, "
    + std::to_string(r.threads) + " io thread(s)\n";
  out += fmt("elapsed         %.2f s\n", r.elapsed_s);
  out += fmt("requests        %.0f\n", static_cast<double>(r.requests));
  out += fmt("accepted        %.0f", static_cast<double>(r.accepted))
    + fmt("  (%.0f /s)\n", r.accepted_per_s);
  out += fmt("delivered       %.0f", static_cast<double>(r.delivered))
    + fmt("  (%.0f /s)\n", r.delivered_per_s);
  out += latency_row("accept ms      ", r.accept_latency);
  if (r.delivered_latency.count() > 0)
    out += latency_row("create->deliv. ", r.delivered_latency);
  out += "errors          " + std::to_string(r.error_count());
  for (const auto& [k, v] : r.errors)
    out += "  " + k + ":" + std::to_string(v);
  out += "\n";
  if (r.nsd_rss_peak > 0 || r.nsd_rss_final > 0)
    out += fmt("nsd RSS         peak %.1f MiB",
               static_cast<double>(r.nsd_rss_peak) / 1048576.0)
      + fmt(", final %.1f MiB",
            static_cast<double>(r.nsd_rss_final) / 1048576.0)
      + fmt("; CPU %.0f %% of one core\n", r.nsd_cpu_percent);
  for (const auto& [k, v] : r.extra)
    out += k + std::string(k.size() < 16 ? 16 - k.size() : 1, ' ')
      + fmt("%.6g\n", v);
  return out;
}

json::object to_json(const result& r) {
  json::object errors;
  for (const auto& [k, v] : r.errors)
    errors[k] = v;
  json::array ids;
  for (const auto& id : r.sample_ids)
    ids.emplace_back(id);
  json::object extra;
  for (const auto& [k, v] : r.extra)
    extra[k] = v;
  json::object o{{"scenario", r.scenario},
                 {"target", r.target},
                 {"interrupted", r.interrupted},
                 {"connections", r.connections},
                 {"rate", r.rate},
                 {"batch", r.batch},
                 {"threads", r.threads},
                 {"elapsed_s", r.elapsed_s},
                 {"requests", r.requests},
                 {"accepted", r.accepted},
                 {"delivered", r.delivered},
                 {"accepted_per_s", r.accepted_per_s},
                 {"delivered_per_s", r.delivered_per_s},
                 {"accept_latency", latency_json(r.accept_latency)},
                 {"delivered_latency", latency_json(r.delivered_latency)},
                 {"errors", std::move(errors)},
                 {"error_count", r.error_count()},
                 {"nsd_rss_peak_bytes", r.nsd_rss_peak},
                 {"nsd_rss_final_bytes", r.nsd_rss_final},
                 {"nsd_cpu_percent", r.nsd_cpu_percent},
                 {"sample_job_ids", std::move(ids)},
                 {"api_key", r.api_key},
                 {"adapter", r.adapter},
                 {"extra", std::move(extra)}};
  if (!r.failure.empty())
    o["failure"] = r.failure;
  return o;
}

std::string format_live(double elapsed_s, double accepted_per_s,
                        double delivered_per_s, double p99_ms, uint64_t errors,
                        double rss_mib, double cpu_percent) {
  char buf[200];
  std::snprintf(buf, sizeof(buf),
                "[%6.1fs] accepted %8.0f/s  delivered %8.0f/s  p99 %8.3f ms  "
                "errors %llu  nsd %7.1f MiB  cpu %4.0f%%",
                elapsed_s, accepted_per_s, delivered_per_s, p99_ms,
                static_cast<unsigned long long>(errors), rss_mib, cpu_percent);
  return buf;
}

} // namespace ns::bench
