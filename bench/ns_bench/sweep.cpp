#include "ns_bench/sweep.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include <boost/json.hpp>

#include "ns_bench/report.hpp"
#include "ns_bench/scenarios.hpp"

namespace ns::bench {

namespace json = boost::json;

std::optional<vary_spec> parse_vary(const std::string& text,
                                    std::string& error) {
  vary_spec v;
  auto eq = text.find('=');
  if (eq == std::string::npos) {
    error = "--vary needs WHAT=v1,v2,...";
    return std::nullopt;
  }
  auto what = text.substr(0, eq);
  if (what == "connections") {
    v.kind = vary_spec::connections;
  } else if (what == "rate") {
    v.kind = vary_spec::rate;
  } else if (what.rfind("nsd:", 0) == 0 && what.find('.') != std::string::npos
             && what.size() > 4) {
    v.kind = vary_spec::nsd_setting;
    v.key = what.substr(4);
  } else {
    error
      = "--vary: '" + what + "' is not connections, rate or nsd:section.key";
    return std::nullopt;
  }
  std::stringstream list{text.substr(eq + 1)};
  for (std::string item; std::getline(list, item, ',');) {
    if (item.empty()) {
      error = "--vary: empty value in '" + text + "'";
      return std::nullopt;
    }
    if (v.kind != vary_spec::nsd_setting) {
      double d = 0;
      auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), d);
      if (ec != std::errc{} || p != item.data() + item.size() || d <= 0
          || (v.kind == vary_spec::connections && (d > 10000 || d != int(d)))) {
        error = "--vary: '" + item + "' is not a valid " + what;
        return std::nullopt;
      }
    }
    v.values.push_back(item);
  }
  if (v.values.empty()) {
    error = "--vary: no values";
    return std::nullopt;
  }
  return v;
}

namespace {

std::string row(const std::string& value, const result& r) {
  char buf[256];
  std::snprintf(buf, sizeof(buf),
                "%-14s %12.0f %12.0f %10.3f %10.3f %10.3f %8llu%s\n",
                value.c_str(), r.accepted_per_s, r.delivered_per_s,
                ms(r.accept_latency.percentile(50)),
                ms(r.accept_latency.percentile(99)), ms(r.accept_latency.max()),
                static_cast<unsigned long long>(r.error_count()),
                r.failure.empty() ? "" : "  FAILED");
  return buf;
}

bool write_plot(const options& o, const std::vector<std::string>& values,
                const std::vector<result>& results, std::string& error) {
  auto data = o.plot + ".dat";
  {
    std::ofstream out{data};
    out << "# value accepted_per_s p50_ms p99_ms\n";
    for (std::size_t i = 0; i < results.size(); ++i)
      out << values[i] << ' ' << results[i].accepted_per_s << ' '
          << ms(results[i].accept_latency.percentile(50)) << ' '
          << ms(results[i].accept_latency.percentile(99)) << '\n';
    if (!out) {
      error = "cannot write " + data;
      return false;
    }
  }
  auto script = o.plot + ".gp";
  {
    std::ofstream gp{script};
    gp << "set terminal png size 900,600\n"
       << "set output '" << o.plot << "'\n"
       << "set title 'ns-bench sweep " << o.scenario << " --vary " << o.vary
       << "'\n"
       << "set xlabel 'accepted jobs/s'\nset ylabel 'accept latency (ms)'\n"
       << "set logscale y\nset grid\nset key top left\n"
       << "plot '" << data
       << "' using 2:3 with linespoints title 'p50', '' using 2:4 with "
          "linespoints title 'p99', '' using 2:4:1 with labels offset 0,1 "
          "notitle, "
       << o.p99_bound_ms << " with lines dashtype 2 title 'p99 bound'\n";
  }
  auto cmd = "gnuplot '" + script + "' 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    error = "gnuplot failed (is gnuplot-nox installed?)";
    return false;
  }
  std::remove(script.c_str());
  return true;
}

} // namespace

int run_sweep(const options& o) {
  std::string error;
  auto vary = parse_vary(o.vary, error);
  if (!vary) {
    std::cerr << "ns-bench: " << error << '\n';
    return 2;
  }
  std::vector<result> results;
  std::vector<std::string> values;
  for (const auto& value : vary->values) {
    if (interrupted)
      break;
    options point = o;
    if (vary->kind == vary_spec::connections)
      point.connections = std::stoi(value);
    else if (vary->kind == vary_spec::rate)
      point.rate = std::stod(value);
    else
      point.nsd_settings.push_back(vary->key + "=" + value);
    std::cerr << "--- point " << o.vary.substr(0, o.vary.find('=')) << '='
              << value << '\n';
    auto r = run_scenario(point);
    (o.json ? std::cerr : std::cout) << format_table(r) << '\n';
    results.push_back(std::move(r));
    values.push_back(value);
  }
  // The knee: the highest throughput whose p99 stays within the bound.
  int knee = -1;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    if (!r.failure.empty() || r.interrupted || r.accepted == 0)
      continue;
    if (ms(r.accept_latency.percentile(99)) > o.p99_bound_ms)
      continue;
    if (knee < 0 || r.accepted_per_s > results[knee].accepted_per_s)
      knee = static_cast<int>(i);
  }
  std::ostringstream table;
  char head[200];
  std::snprintf(head, sizeof(head), "%-14s %12s %12s %10s %10s %10s %8s\n",
                o.vary.substr(0, o.vary.find('=')).c_str(), "accepted/s",
                "delivered/s", "p50 ms", "p99 ms", "max ms", "errors");
  table << "sweep " << o.scenario << '\n' << head;
  for (std::size_t i = 0; i < results.size(); ++i)
    table << row(values[i], results[i]);
  if (knee >= 0)
    table << "knee (p99 <= " << o.p99_bound_ms << " ms): " << values[knee]
          << " at " << static_cast<uint64_t>(results[knee].accepted_per_s)
          << " jobs/s\n";
  else
    table << "knee: no point kept p99 <= " << o.p99_bound_ms << " ms\n";
  (o.json ? std::cerr : std::cout) << table.str();
  bool plot_failed = false;
  if (!o.plot.empty() && !results.empty()) {
    if (!write_plot(o, values, results, error)) {
      std::cerr << "ns-bench: " << error << '\n';
      plot_failed = true;
    }
  }
  if (o.json) {
    json::array points;
    for (std::size_t i = 0; i < results.size(); ++i)
      points.push_back(
        json::object{{"value", values[i]}, {"result", to_json(results[i])}});
    json::value knee_json = nullptr;
    if (knee >= 0)
      knee_json = json::object{
        {"value", values[knee]},
        {"accepted_per_s", results[knee].accepted_per_s},
        {"p99_ms", ms(results[knee].accept_latency.percentile(99))}};
    json::object out{{"sweep", o.scenario},
                     {"vary", o.vary},
                     {"p99_bound_ms", o.p99_bound_ms},
                     {"points", std::move(points)},
                     {"knee", std::move(knee_json)}};
    if (!o.plot.empty() && !plot_failed)
      out["plot"] = o.plot;
    std::cout << json::serialize(out) << std::endl;
  }
  if (interrupted)
    return 130;
  for (const auto& r : results)
    if (!r.failure.empty())
      return 1;
  return plot_failed ? 1 : 0;
}

} // namespace ns::bench
