#include "ns_bench/url.hpp"

#include <charconv>

namespace ns::bench {

std::optional<http_url> parse_url(const std::string& text) {
  constexpr std::string_view scheme = "http://";
  if (text.compare(0, scheme.size(), scheme) != 0)
    return std::nullopt;
  auto rest = std::string_view{text}.substr(scheme.size());
  http_url url;
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  if (slash != std::string_view::npos)
    url.path = std::string{rest.substr(slash)};
  auto colon = authority.rfind(':');
  if (colon != std::string_view::npos) {
    auto digits = authority.substr(colon + 1);
    unsigned port = 0;
    auto [end, ec]
      = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc{} || end != digits.data() + digits.size() || port == 0
        || port > 65535)
      return std::nullopt;
    url.port = static_cast<uint16_t>(port);
    authority = authority.substr(0, colon);
  }
  if (authority.empty())
    return std::nullopt;
  url.host = std::string{authority};
  return url;
}

} // namespace ns::bench
