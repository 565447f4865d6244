// The HTTP request path after Beast: method and target -> router -> the
// body parser of the endpoint (jobs, notifications, clients, adapters,
// templates) -> the error answer. Input, as text:
//   line 1: METHOD TARGET      e.g. "POST /v1/jobs"
//   line 2: the Idempotency-Key header (may be empty)
//   rest:   the body
// Checks beyond "no crash": every error answer is JSON with a 4xx status, and
// an accepted job's params text is the JSON its parsed params say it is (the
// text is what nsd stores and delivers, the tree what it validated).

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/parse.hpp>
#include <caf/error.hpp>

#include "config/error.hpp"
#include "net/admin_input.hpp"
#include "net/http_errors.hpp"
#include "net/job_input.hpp"
#include "net/router.hpp"
#include "net/template_routes.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace {

using namespace ns;
using namespace ns::net;

void check_error(const caf::error& err) {
  auto res = error_response(err);
  fuzz::check(res.status >= 400 && res.status < 500,
              "an input error must answer 4xx", res.body);
  fuzz::check(fuzz::valid_json(res.body), "error body must be JSON", res.body);
}

template <class T>
void check_result(const caf::expected<T>& x) {
  if (!x)
    check_error(x.error());
}

void check_job(const caf::expected<job_submission>& sub) {
  if (!sub)
    return check_error(sub.error());
  boost::json::error_code ec;
  auto text = boost::json::parse(sub->params_text, ec);
  fuzz::check(!ec, "params_text must be JSON", sub->params_text);
  fuzz::check(text == sub->params, "params_text and params must agree",
              sub->params_text);
}

void check_route(const route_result& r) {
  using kind = route_result::kind;
  if (r.outcome == kind::method_not_allowed)
    fuzz::check(!r.allow.empty(), "405 must name the allowed methods");
  if (r.outcome == kind::found)
    fuzz::check(r.param.find('/') == std::string::npos
                  && r.param2.find('/') == std::string::npos,
                "a path parameter is one segment", r.param);
}

void parse_body(endpoint ep, std::string_view body, std::string idem) {
  // nsd's default: client callback URLs may reach public addresses only.
  static const address_policy callbacks;
  switch (ep) {
    case endpoint::submit_job:
      check_job(parse_job(body, std::move(idem), callbacks));
      return;
    case endpoint::submit_batch: {
      auto items = parse_job_batch(body, callbacks);
      if (!items)
        return check_error(items.error());
      fuzz::check(items->size() <= max_batch_jobs, "batch over the limit");
      for (auto& item : *items)
        check_job(item);
      return;
    }
    case endpoint::subscribe: {
      auto n = parse_notification(body, callbacks);
      if (n)
        fuzz::check(valid_callback_url(n->callback_url),
                    "accepted callback_url must be valid", n->callback_url);
      return check_result(n);
    }
    case endpoint::create_client: return check_result(parse_client_spec(body));
    case endpoint::patch_client: return check_result(parse_client_patch(body));
    case endpoint::create_adapter:
      return check_result(parse_adapter_spec(body));
    case endpoint::patch_adapter:
      return check_result(parse_adapter_patch(body));
    case endpoint::create_template:
      return check_result(parse_template_spec(body, false));
    case endpoint::update_template:
      return check_result(parse_template_spec(body, true));
    default: return;
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto in = fuzz::as_text(data, size);
  auto first = fuzz::next_line(in);
  auto idem = std::string{fuzz::next_line(in)};
  auto sp = first.find(' ');
  auto method = first.substr(0, sp);
  auto target
    = sp == std::string_view::npos ? std::string_view{} : first.substr(sp + 1);
  // As http_server.cpp hands it over: the path without the query.
  auto path = target.substr(0, target.find('?'));
  auto r = route(method, path);
  check_route(r);
  if (r.outcome == route_result::kind::found)
    parse_body(r.ep, in, std::move(idem));
  return 0;
}
