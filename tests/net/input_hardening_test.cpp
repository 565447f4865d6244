// What the HTTP edge refuses so that nothing it accepts breaks later: bodies
// nested deeper than max_json_depth, objects with a repeated key, idempotency
// keys that are not printable UTF-8; and error bodies that are UTF-8 whatever
// the client sent.

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "config/error.hpp"
#include "config/json_limits.hpp"
#include "config/utf8.hpp"
#include "net/adapter_sdk/protocol.hpp"
#include "net/admin_input.hpp"
#include "net/http_errors.hpp"
#include "net/job_input.hpp"
#include "net/template_routes.hpp"

using namespace ns;

namespace {

/// `{"a":{"a":...{}...}}`: `depth` levels of objects.
std::string nested(size_t depth) {
  std::string out;
  for (size_t i = 1; i < depth; ++i)
    out += R"({"a":)";
  out += "{}";
  out.append(depth - 1, '}');
  return out;
}

std::string job_with_params(std::string_view params) {
  return R"({"adapter":"hook","params":)" + std::string{params} + "}";
}

std::string field_of(const caf::error& err) {
  auto details = boost::json::parse(details_of(err));
  auto* f = details.as_object().if_contains("field");
  return f != nullptr ? std::string{f->as_string()} : std::string{};
}

} // namespace

TEST(InputDepth, AJobBodyMayNestExactlyTheLimit) {
  // The body is level 1, params level 2: params of max_json_depth - 1 levels.
  auto ok = net::parse_job(job_with_params(nested(max_json_depth - 1)), {}, {});
  ASSERT_TRUE(ok) << to_string(ok.error());
  EXPECT_EQ(
    ok->params,
    boost::json::parse(nested(max_json_depth - 1), {}, stored_json_options()));
  auto deep = net::parse_job(job_with_params(nested(max_json_depth)), {}, {});
  ASSERT_FALSE(deep);
  EXPECT_EQ(code_of(deep.error()), ec::malformed_json);
  EXPECT_NE(message_of(deep.error()).find(std::to_string(max_json_depth)),
            std::string::npos)
    << message_of(deep.error());
}

TEST(InputDepth, ArraysCountLikeObjects) {
  std::string params = R"({"a":)" + std::string(max_json_depth - 2, '[')
    + std::string(max_json_depth - 2, ']') + "}";
  EXPECT_TRUE(net::parse_job(job_with_params(params), {}, {}));
  params = R"({"a":)" + std::string(max_json_depth - 1, '[')
    + std::string(max_json_depth - 1, ']') + "}";
  EXPECT_FALSE(net::parse_job(job_with_params(params), {}, {}));
}

TEST(InputDepth, AdapterConfigDeeperThanTheLimitIsRefused) {
  auto body = [](size_t config_depth) {
    return R"({"name":"deep","type":"webhook","config":)" + nested(config_depth)
      + "}";
  };
  // 31 levels: what used to be answered 201 and then fail to load.
  EXPECT_TRUE(net::parse_adapter_spec(body(31)));
  EXPECT_TRUE(net::parse_adapter_spec(body(max_json_depth - 1)));
  auto deep = net::parse_adapter_spec(body(max_json_depth));
  ASSERT_FALSE(deep);
  EXPECT_EQ(code_of(deep.error()), ec::malformed_json);
  auto patch = net::parse_adapter_patch(R"({"params_schema":)"
                                        + nested(max_json_depth) + "}");
  EXPECT_FALSE(patch);
}

TEST(InputDepth, TemplateBodiesHaveTheSameLimit) {
  auto deep = net::parse_template_spec(
    R"({"name":"t","parts":{"text":"hi"},"x":)" + nested(max_json_depth) + "}",
    false);
  ASSERT_FALSE(deep);
  EXPECT_EQ(code_of(deep.error()), ec::malformed_json);
  EXPECT_NE(message_of(deep.error()).find(std::to_string(max_json_depth)),
            std::string::npos)
    << message_of(deep.error());
}

TEST(RepeatedKeys, AreRefusedInParamsNamingTheKey) {
  // With a schema `text: string` one order passed it and the other did not;
  // the receiver got both keys. Neither order is accepted now.
  for (auto params :
       {R"({"text":5,"text":"ok"})", R"({"text":"ok","text":5})"}) {
    auto sub = net::parse_job(job_with_params(params), {}, {});
    ASSERT_FALSE(sub) << params;
    EXPECT_EQ(code_of(sub.error()), ec::invalid_field);
    EXPECT_EQ(field_of(sub.error()), "params.text");
    EXPECT_NE(message_of(sub.error()).find("twice"), std::string::npos);
  }
}

TEST(RepeatedKeys, AreFoundAtEveryLevel) {
  auto field = [](std::string_view body) {
    auto sub = net::parse_job(body, {}, {});
    return sub ? std::string{"accepted"} : field_of(sub.error());
  };
  EXPECT_EQ(field(R"({"adapter":"a","adapter":"b","params":{}})"), "adapter");
  EXPECT_EQ(field(job_with_params(R"({"x":{"y":{"z":1,"z":2}}})")),
            "params.x.y.z");
  EXPECT_EQ(field(job_with_params(R"({"l":[1,{"k":1},{"k":1,"k":2}]})")),
            "params.l[2].k");
  EXPECT_EQ(field(job_with_params(R"({"l":[[{"a":1,"a":1}]]})")),
            "params.l[0][0].a");
  // Escapes name the same key.
  EXPECT_EQ(field(job_with_params(R"({"a":1,"\u0061":2})")), "params.a");
  // Many keys take the sorting path.
  std::string many = "{";
  for (int i = 0; i < 40; ++i)
    many += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  EXPECT_EQ(field(job_with_params(many + R"("k0":0})")), "params.k0");
  EXPECT_EQ(field(job_with_params(many + R"("k40":0})")), "accepted");
  // Keys that only look alike are different keys.
  EXPECT_EQ(field(job_with_params(R"({"a":1,"A":2,"a ":3,"":4})")), "accepted");
}

TEST(RepeatedKeys, AreRefusedInAdminAndBatchBodies) {
  auto adapter = net::parse_adapter_spec(
    R"({"name":"x","type":"webhook","config":{"url":"http://a","url":"http://b"}})");
  ASSERT_FALSE(adapter);
  EXPECT_EQ(field_of(adapter.error()), "config.url");
  auto batch = net::parse_job_batch(
    R"({"jobs":[{"adapter":"a","params":{}},{"adapter":"a","params":{"t":1,"t":2}}]})",
    {});
  ASSERT_FALSE(batch);
  EXPECT_EQ(field_of(batch.error()), "jobs[1].params.t");
  auto tmpl = net::parse_template_spec(
    R"({"name":"t","parts":{"text":"a","text":"b"}})", false);
  ASSERT_FALSE(tmpl);
  EXPECT_EQ(field_of(tmpl.error()), "parts.text");
}

TEST(IdempotencyKey, MustBePrintableUtf8) {
  auto with_key = [](std::string key) {
    return net::parse_job(job_with_params("{}"), std::move(key), {});
  };
  EXPECT_TRUE(with_key("order-1"));
  EXPECT_TRUE(with_key("caf\xc3\xa9-\xe2\x82\xac"));
  for (std::string bad :
       {std::string{"caf\xe9"}, std::string{"\xff"}, std::string{"a\tb"},
        std::string{"a\0b", 3}, std::string(256, 'k')}) {
    auto sub = with_key(bad);
    ASSERT_FALSE(sub) << bad;
    EXPECT_EQ(code_of(sub.error()), ec::invalid_field);
    EXPECT_EQ(field_of(sub.error()), "Idempotency-Key");
  }
  auto batch = net::parse_job_batch(
    R"({"jobs":[{"adapter":"a","params":{},"idempotency_key":"a\u0001b"}]})",
    {});
  ASSERT_TRUE(batch);
  ASSERT_FALSE((*batch)[0]);
  EXPECT_EQ(field_of((*batch)[0].error()), "idempotency_key");
}

TEST(ErrorBodies, AreUtf8WhateverTheClientSent) {
  auto res = net::error_response(ec::not_found, "job '\xff\xfe' does not exist",
                                 "{\"field\":\"caf\xe9\"}");
  EXPECT_TRUE(utf8::valid(res.body)) << res.body;
  auto body = boost::json::parse(res.body).as_object();
  EXPECT_EQ(body.at("error").at("message"),
            "job '\xef\xbf\xbd\xef\xbf\xbd' does not exist");
  EXPECT_EQ(body.at("error").at("details").at("field"), "caf\xef\xbf\xbd");
}

TEST(AdapterProtocolText, CutsEndOnACharacterBoundary) {
  namespace proto = adapter_protocol;
  std::string why;
  // 1999 bytes, then a 2-byte character across the 2000-byte limit.
  proto::result r;
  r.job_id = "n1-1";
  r.what = proto::outcome::failed;
  r.message = std::string(1999, 'x') + "\xc3\xa9" + "tail";
  auto back = proto::decode_result(proto::encode(r), why);
  ASSERT_TRUE(back) << why;
  EXPECT_EQ(back->message, std::string(1999, 'x'));
  auto h = proto::decode_hello(
    proto::encode(
      proto::hello{1, "nsa_k", 1, std::string(198, 'n') + "\xe2\x82\xac"}),
    why);
  ASSERT_TRUE(h) << why;
  EXPECT_EQ(h->name, std::string(198, 'n'));
}

TEST(AdapterProtocolText, JobFramesCarryParamsAsDeepAsTheEdgeAllows) {
  namespace proto = adapter_protocol;
  proto::job j;
  j.job_id = "n1-1";
  auto params = nested(max_json_depth - 1);
  std::string why;
  auto back = proto::decode_job(proto::encode(j, params), why);
  ASSERT_TRUE(back) << why;
  EXPECT_EQ(back->params,
            boost::json::parse(params, {}, stored_json_options()));
}
