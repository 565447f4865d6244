#include "actors/metrics.hpp"

#include <charconv>

namespace ns {

namespace {

// The shortest fixed-point text that reads back as `v`: 0.0005, not 5e-04
// or 0.00050000000000000001.
void append_number(std::string& out, double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  if (r.ec != std::errc{}) // too long in fixed notation: exponent form
    r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}

void append_header(std::string& out, std::string_view name,
                   std::string_view type, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

} // namespace

void latency_histogram::observe(std::chrono::nanoseconds d) {
  auto ns = d.count() < 0 ? 0 : d.count();
  auto s = static_cast<double>(ns) / 1e9;
  size_t i = 0;
  while (i < bounds_s.size() && s > bounds_s[i])
    ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<uint64_t>(ns), std::memory_order_relaxed);
}

void latency_histogram::render(std::string& out, std::string_view name,
                               std::string_view help) const {
  append_header(out, name, "histogram", help);
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_s.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out += name;
    out += "_bucket{le=\"";
    if (i < bounds_s.size())
      append_number(out, bounds_s[i]);
    else
      out += "+Inf";
    out += "\"} ";
    out += std::to_string(cumulative);
    out += '\n';
  }
  out += name;
  out += "_sum ";
  append_number(
    out, static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9);
  out += '\n';
  out += name;
  out += "_count ";
  out += std::to_string(cumulative);
  out += '\n';
}

void render_metric(std::string& out, std::string_view name,
                   std::string_view type, std::string_view help,
                   std::string_view labels, double value) {
  if (!help.empty())
    append_header(out, name, type, help);
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  append_number(out, value);
  out += '\n';
}

std::string label_value(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

} // namespace ns
