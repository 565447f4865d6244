#include "net/router.hpp"

#include <array>
#include <string>

namespace ns::net {

namespace {

struct entry {
  std::string_view pattern; // "{}" matches one non-empty segment
  std::string_view method;
  endpoint ep;
};

constexpr std::array<entry, 26> routes{{
  {"/healthz", "GET", endpoint::healthz},
  {"/readyz", "GET", endpoint::readyz},
  {"/metrics", "GET", endpoint::metrics},
  {"/v1/clients", "GET", endpoint::list_clients},
  {"/v1/clients", "POST", endpoint::create_client},
  {"/v1/clients/{}", "GET", endpoint::get_client},
  {"/v1/clients/{}", "PATCH", endpoint::patch_client},
  {"/v1/clients/{}", "DELETE", endpoint::delete_client},
  {"/v1/clients/{}/keys", "POST", endpoint::rotate_client_keys},
  {"/v1/adapters", "GET", endpoint::list_adapters},
  {"/v1/adapters", "POST", endpoint::create_adapter},
  {"/v1/adapters/{}", "GET", endpoint::get_adapter},
  {"/v1/adapters/{}", "PATCH", endpoint::patch_adapter},
  {"/v1/adapters/{}", "DELETE", endpoint::delete_adapter},
  {"/v1/adapters/{}/keys", "POST", endpoint::rotate_adapter_key},
  {"/v1/jobs", "POST", endpoint::submit_job},
  {"/v1/jobs/batch", "POST", endpoint::submit_batch},
  {"/v1/jobs/{}", "GET", endpoint::get_job},
  {"/v1/jobs/{}", "DELETE", endpoint::cancel_job},
  {"/v1/notifications", "POST", endpoint::subscribe},
  {"/v1/stats", "GET", endpoint::stats},
  {"/v1/adapters/{}/templates", "GET", endpoint::list_templates},
  {"/v1/adapters/{}/templates", "POST", endpoint::create_template},
  {"/v1/adapters/{}/templates/{}", "GET", endpoint::get_template},
  {"/v1/adapters/{}/templates/{}", "PUT", endpoint::update_template},
  {"/v1/adapters/{}/templates/{}", "DELETE", endpoint::delete_template},
}};

/// A path's segments without allocating: the router runs on every request.
struct segments {
  static constexpr size_t max = 8;
  std::array<std::string_view, max> at;
  size_t size = 0;
  bool too_long = false;
};

segments split(std::string_view path) {
  segments out;
  size_t pos = 0;
  while (pos < path.size()) {
    if (path[pos] == '/') {
      ++pos;
      continue;
    }
    auto end = path.find('/', pos);
    if (end == std::string_view::npos)
      end = path.size();
    if (out.size == segments::max) {
      out.too_long = true;
      break;
    }
    out.at[out.size++] = path.substr(pos, end - pos);
    pos = end;
  }
  return out;
}

bool matches(std::string_view pattern, const segments& have, std::string& param,
             std::string& param2) {
  auto want = split(pattern);
  if (have.too_long || want.size != have.size)
    return false;
  bool first = true;
  for (size_t i = 0; i < want.size; ++i) {
    if (want.at[i] == "{}") {
      (first ? param : param2) = std::string{have.at[i]};
      first = false;
    } else if (want.at[i] != have.at[i]) {
      return false;
    }
  }
  return true;
}

} // namespace

route_result route(std::string_view method, std::string_view path) {
  route_result res;
  // "//x" or a trailing "/x/" are other resources: refuse rather than guess.
  if (path.empty() || path.front() != '/'
      || path.find("//") != std::string_view::npos
      || (path.size() > 1 && path.back() == '/'))
    return res;
  auto have = split(path);
  for (auto& e : routes) {
    std::string param;
    std::string param2;
    if (!matches(e.pattern, have, param, param2))
      continue;
    if (e.method == method) {
      res.outcome = route_result::kind::found;
      res.ep = e.ep;
      res.param = std::move(param);
      res.param2 = std::move(param2);
      res.allow.clear();
      return res;
    }
    res.outcome = route_result::kind::method_not_allowed;
    if (!res.allow.empty())
      res.allow += ", ";
    res.allow += e.method;
  }
  return res;
}

} // namespace ns::net
