#include "config/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace ns::log {

namespace {

std::atomic<int> threshold{static_cast<int>(level::info)};
std::mutex out_mtx;

} // namespace

bool parse_level(std::string_view text, level& out) {
  if (text == "debug")
    out = level::debug;
  else if (text == "info")
    out = level::info;
  else if (text == "warning")
    out = level::warning;
  else if (text == "error")
    out = level::error;
  else
    return false;
  return true;
}

std::string_view to_string(level x) {
  switch (x) {
    case level::debug: return "debug";
    case level::info: return "info";
    case level::warning: return "warning";
    case level::error: return "error";
  }
  return "info";
}

void set_level(level x) {
  threshold.store(static_cast<int>(x), std::memory_order_relaxed);
}

bool enabled(level x) {
  return static_cast<int>(x) >= threshold.load(std::memory_order_relaxed);
}

line::line(level lvl) : lvl_(lvl), on_(enabled(lvl)) {
}

line::~line() {
  if (!on_)
    return;
  using namespace std::chrono;
  auto now = system_clock::now();
  auto secs = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[64];
  std::snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  auto text = buf_.str();
  std::lock_guard<std::mutex> guard{out_mtx};
  std::fprintf(stderr, "%s %-7s %s\n", stamp, to_string(lvl_).data(),
               text.c_str());
  std::fflush(stderr);
}

} // namespace ns::log
