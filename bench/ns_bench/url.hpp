#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ns::bench {

/// An `http://host:port/path` URL, the only kind ns-bench talks to.
struct http_url {
  std::string host;
  uint16_t port = 80;
  std::string path = "/";

  std::string host_port() const {
    return host + ":" + std::to_string(port);
  }

  std::string str() const {
    return "http://" + host_port() + path;
  }
};

/// Parses `http://host[:port][/path]`; nullopt for anything else (https too).
std::optional<http_url> parse_url(const std::string& text);

} // namespace ns::bench
