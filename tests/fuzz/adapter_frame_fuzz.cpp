// The adapter protocol's frame decoder (net/adapter_sdk/protocol.cpp), as
// nsd's gateway and the SDK use it: the type frame picks the decoder of the
// body frame. Input, as text:
//   line 1: the type frame    e.g. "result"
//   rest:   the body frame    e.g. {"job_id":"n1-1","outcome":"succeeded"}
// Checks beyond "no crash": what decodes is valid UTF-8 (it goes into logs,
// the store and JSON answers) and survives encode -> decode unchanged, so the
// two sides of the protocol cannot read one message two ways.

#include <cstdint>
#include <string>
#include <string_view>

#include "net/adapter_sdk/protocol.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace {

namespace proto = ns::adapter_protocol;
namespace fuzz = ns::fuzz;

void utf8(const std::string& s, const char* field) {
  fuzz::check(fuzz::valid_utf8(s), field, s);
}

template <class T, class Decode>
T again(const T& x, Decode decode) {
  std::string why;
  auto text = proto::encode(x);
  auto y = decode(text, why);
  if (!y)
    fuzz::fail("encoded message must decode", text + " -> " + why);
  return *y;
}

void hello(std::string_view body) {
  std::string why;
  auto x = proto::decode_hello(body, why);
  if (!x)
    return;
  utf8(x->key, "hello.key");
  utf8(x->name, "hello.name");
  auto y = again(*x, proto::decode_hello);
  fuzz::check(y.protocol == x->protocol && y.key == x->key
                && y.credit == x->credit && y.name == x->name,
              "hello round trip", body);
}

void welcome(std::string_view body) {
  std::string why;
  auto x = proto::decode_welcome(body, why);
  if (!x)
    return;
  utf8(x->instance_id, "welcome.instance_id");
  utf8(x->adapter, "welcome.adapter");
  auto y = again(*x, proto::decode_welcome);
  fuzz::check(y.instance_id == x->instance_id && y.adapter == x->adapter
                && y.heartbeat_ms == x->heartbeat_ms
                && y.timeout_ms == x->timeout_ms,
              "welcome round trip", body);
}

void refusal(std::string_view body) {
  std::string why;
  auto x = proto::decode_refusal(body, why);
  if (!x)
    return;
  utf8(x->code, "refusal.code");
  utf8(x->message, "refusal.message");
  auto y = again(*x, proto::decode_refusal);
  fuzz::check(y.code == x->code && y.message == x->message,
              "refusal round trip", body);
}

void job(std::string_view body) {
  std::string why;
  auto x = proto::decode_job(body, why);
  if (!x)
    return;
  utf8(x->job_id, "job.job_id");
  auto y = again(*x, proto::decode_job);
  fuzz::check(y.job_id == x->job_id && y.idempotency_key == x->idempotency_key
                && y.attempt == x->attempt && y.priority == x->priority
                && y.create_time == x->create_time
                && y.expire_time == x->expire_time
                && y.expire_at_ms == x->expire_at_ms && y.params == x->params,
              "job round trip", body);
}

void result(std::string_view body) {
  std::string why;
  auto x = proto::decode_result(body, why);
  if (!x)
    return;
  utf8(x->job_id, "result.job_id");
  utf8(x->message, "result.message");
  auto y = again(*x, proto::decode_result);
  // `retryable` means something only for a failure; encode leaves it out.
  auto retryable = x->what == proto::outcome::failed ? x->retryable : false;
  fuzz::check(y.job_id == x->job_id && y.what == x->what
                && y.retryable == retryable && y.message == x->message
                && y.retry_after_ms == x->retry_after_ms
                && y.credit == x->credit,
              "result round trip", body);
}

void credit(std::string_view body) {
  std::string why;
  auto x = proto::decode_credit(body, why);
  if (!x)
    return;
  fuzz::check(x->credit <= proto::max_credit, "credit over the maximum");
  auto y = again(*x, proto::decode_credit);
  fuzz::check(y.credit == x->credit, "credit round trip", body);
}

void cancel(std::string_view body) {
  std::string why;
  auto x = proto::decode_cancel(body, why);
  if (!x)
    return;
  utf8(x->job_id, "cancel.job_id");
  auto y = again(*x, proto::decode_cancel);
  fuzz::check(y.job_id == x->job_id, "cancel round trip", body);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto in = fuzz::as_text(data, size);
  auto type = proto::parse_type(fuzz::next_line(in));
  if (!type)
    return 0;
  fuzz::check(proto::parse_type(proto::to_string(*type)) == type,
              "type names round trip");
  std::string why;
  switch (*type) {
    case proto::msg_type::hello: hello(in); break;
    case proto::msg_type::welcome: welcome(in); break;
    case proto::msg_type::refuse:
    case proto::msg_type::bye: refusal(in); break;
    case proto::msg_type::job: job(in); break;
    case proto::msg_type::result: result(in); break;
    case proto::msg_type::credit: credit(in); break;
    case proto::msg_type::cancel: cancel(in); break;
    case proto::msg_type::heartbeat: proto::decode_empty(in, why); break;
  }
  return 0;
}
