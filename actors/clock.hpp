#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ns::clock {

/// Milliseconds since the Unix epoch, wall clock.
uint64_t now_ms();

/// `2026-11-23T10:00:00.123Z`.
std::string rfc3339(uint64_t ms);

/// Parses RFC 3339 (`Z` or a `+hh:mm` offset, optional fraction) to ms.
std::optional<uint64_t> parse_rfc3339(std::string_view text);

} // namespace ns::clock
