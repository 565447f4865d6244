#pragma once

#include <cctype>
#include <string_view>

namespace ns::config {

/// `s` without the white space at either end: config values, list items.
inline std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

} // namespace ns::config
