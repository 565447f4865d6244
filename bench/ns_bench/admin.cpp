#include "ns_bench/admin.hpp"

#include <chrono>
#include <stdexcept>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

namespace ns::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;

http_reply
http_call(const http_url& base, const std::string& method,
          const std::string& path, const std::string& body,
          const std::vector<std::pair<std::string, std::string>>& headers,
          double timeout_s) {
  http_reply out;
  try {
    asio::io_context ioc;
    beast::tcp_stream stream{ioc};
    auto timeout
      = std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
    asio::ip::tcp::resolver resolver{ioc};
    stream.expires_after(timeout);
    stream.connect(resolver.resolve(base.host, std::to_string(base.port)));
    http::request<http::string_body> req{http::string_to_verb(method), path,
                                         11};
    req.set(http::field::host, base.host_port());
    for (const auto& [k, v] : headers)
      req.set(k, v);
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    stream.expires_after(timeout);
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    http::read(stream, buf, parser);
    out.status = static_cast<int>(parser.get().result_int());
    out.body = std::move(parser.get().body());
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  } catch (const std::exception& e) {
    out.status = 0;
    out.error = e.what();
  }
  return out;
}

http_reply admin_client::call(const std::string& method,
                              const std::string& path,
                              const std::string& body) {
  return http_call(base_, method, path, body,
                   {{"Authorization", "Bearer " + token_}});
}

namespace {

[[noreturn]] void fail(const std::string& what, const http_reply& r) {
  throw std::runtime_error(
    what + ": "
    + (r.status ? "HTTP " + std::to_string(r.status) + " " + r.body : r.error));
}

} // namespace

std::string admin_client::setup(const std::string& name,
                                const std::string& hook_url, bool blocked,
                                int concurrency) {
  json::object adapter{{"name", name},
                       {"type", "webhook"},
                       {"config", {{"url", hook_url}}},
                       {"concurrency", concurrency},
                       {"blocked", blocked},
                       {"retry", {{"max_attempts", 3}}}};
  auto r = call("POST", "/v1/adapters", json::serialize(adapter));
  if (r.status != 201)
    fail("creating adapter " + name, r);
  json::object client{{"name", name}, {"adapters", json::array{name}}};
  r = call("POST", "/v1/clients", json::serialize(client));
  if (r.status != 201)
    fail("creating client " + name, r);
  json::error_code ec;
  auto v = json::parse(r.body, ec);
  const json::value* key = ec ? nullptr : v.as_object().if_contains("api_key");
  if (!key || !key->is_string())
    fail("creating client " + name + ": no api_key", r);
  return std::string{key->as_string()};
}

void admin_client::set_blocked(const std::string& adapter, bool blocked) {
  auto r = call("PATCH", "/v1/adapters/" + adapter,
                blocked ? R"({"blocked":true})" : R"({"blocked":false})");
  if (r.status != 200)
    fail("PATCH adapter " + adapter, r);
}

json::value admin_client::stats() {
  auto r = call("GET", "/v1/stats");
  if (r.status != 200)
    return nullptr;
  json::error_code ec;
  auto v = json::parse(r.body, ec);
  if (ec || !v.is_object())
    return nullptr;
  return v;
}

bool wait_ready(const http_url& base, double timeout_s) {
  auto deadline = std::chrono::steady_clock::now()
    + std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    if (http_call(base, "GET", "/readyz", {}, {}, 1).status == 200)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

double stat_number(const json::value& stats, const char* key) {
  if (!stats.is_object())
    return 0;
  auto* v = stats.as_object().if_contains(key);
  if (!v)
    return 0;
  if (v->is_int64())
    return static_cast<double>(v->as_int64());
  if (v->is_uint64())
    return static_cast<double>(v->as_uint64());
  if (v->is_double())
    return v->as_double();
  return 0;
}

double waiting_jobs(const json::value& stats) {
  double n = stat_number(stats, "backlog_jobs");
  if (!stats.is_object())
    return n;
  auto* jobs = stats.as_object().if_contains("jobs");
  if (jobs && jobs->is_object())
    for (const char* state :
         {"scheduled", "queued", "running", "retrying", "canceling"})
      n += stat_number(*jobs, state);
  return n;
}

} // namespace ns::bench
