#include "actors/clock.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace ns::clock {

uint64_t now_ms() {
  using namespace std::chrono;
  return static_cast<uint64_t>(
    duration_cast<milliseconds>(system_clock::now().time_since_epoch())
      .count());
}

std::string rfc3339(uint64_t ms) {
  // Civil date from days since 1970-01-01 (proleptic Gregorian, 400-year
  // eras). By hand rather than gmtime_r + snprintf: every job answer carries
  // two or three of these.
  auto days = static_cast<int64_t>(ms / 86'400'000);
  auto in_day = ms % 86'400'000;
  auto z = days + 719'468;
  auto era = z / 146'097;
  auto doe = z - era * 146'097;
  auto yoe = (doe - doe / 1460 + doe / 36'524 - doe / 146'096) / 365;
  auto doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  auto mp = (5 * doy + 2) / 153;
  auto day = doy - (153 * mp + 2) / 5 + 1;
  auto month = mp < 10 ? mp + 3 : mp - 9;
  auto year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  char buf[24];
  auto put = [&buf](size_t at, uint64_t value, size_t width) {
    for (size_t i = width; i-- > 0; value /= 10)
      buf[at + i] = static_cast<char>('0' + value % 10);
  };
  put(0, static_cast<uint64_t>(year), 4);
  buf[4] = '-';
  put(5, static_cast<uint64_t>(month), 2);
  buf[7] = '-';
  put(8, static_cast<uint64_t>(day), 2);
  buf[10] = 'T';
  put(11, in_day / 3'600'000, 2);
  buf[13] = ':';
  put(14, in_day / 60'000 % 60, 2);
  buf[16] = ':';
  put(17, in_day / 1000 % 60, 2);
  buf[19] = '.';
  put(20, in_day % 1000, 3);
  buf[23] = 'Z';
  return std::string{buf, sizeof(buf)};
}

std::optional<uint64_t> parse_rfc3339(std::string_view s) {
  auto digits = [&](size_t pos, size_t n, int& out) {
    if (pos + n > s.size())
      return false;
    out = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9')
        return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, se;
  if (!digits(0, 4, y) || s.size() < 19 || s[4] != '-' || !digits(5, 2, mo)
      || s[7] != '-' || !digits(8, 2, d) || (s[10] != 'T' && s[10] != 't')
      || !digits(11, 2, h) || s[13] != ':' || !digits(14, 2, mi) || s[16] != ':'
      || !digits(17, 2, se))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
    return std::nullopt;
  size_t pos = 19;
  int frac_ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int scale = 100;
    size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      frac_ms += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start)
      return std::nullopt;
  }
  int64_t offset_s = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!digits(pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':'
        || !digits(pos + 4, 2, om))
      return std::nullopt;
    offset_s = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size())
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = se;
  auto t = timegm(&tm);
  int64_t total = static_cast<int64_t>(t) - offset_s;
  if (total < 0)
    return std::nullopt;
  return static_cast<uint64_t>(total) * 1000 + frac_ms;
}

} // namespace ns::clock
