#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "config/error.hpp"
#include "net/job_input.hpp"

// simdjson.h stays out of test files: ns_net compiles it with
// SIMDJSON_THREADS_ENABLED, and a test file without it would see another
// layout of the same classes.

using namespace ns;

namespace {

boost::json::value params_of(std::string_view params) {
  auto body = R"({"adapter":"hook","params":)" + std::string{params} + "}";
  auto sub = net::parse_job(body, {}, {});
  EXPECT_TRUE(sub) << body;
  return sub ? sub->params : boost::json::value{};
}

} // namespace

TEST(JobInput, ParamsAreTheTreeBoostParseWouldBuild) {
  for (
    std::string_view text : {
      R"({})",
      R"({"text":"hello","n":1,"neg":-42,"pi":3.25,"yes":true,"no":false,"nothing":null})",
      R"({"big":18446744073709551615,"min":-9223372036854775808,"exp":1e300})",
      R"({"nested":{"list":[1,"two",[3,{"four":4}],{}],"empty":[]}})",
      R"({"utf8":"Привет, мир ✓","escaped":"a\"b\\c\n\u0000d"})",
    }) {
    EXPECT_EQ(params_of(text), boost::json::parse(text)) << text;
  }
}

TEST(JobInput, ParamsWithARepeatedKeyAreRefused) {
  // Readers disagree on which of the two counts (tests/net/
  // input_hardening_test.cpp has the rest).
  auto sub
    = net::parse_job(R"({"adapter":"hook","params":{"a":1,"a":2}})", {}, {});
  EXPECT_FALSE(sub);
}

TEST(JobInput, ParamsTextIsTheSameJson) {
  auto sub = net::parse_job(
    R"({"adapter":"hook","params":{ "text" : "hi", "n" : [1, 2] }})", {}, {});
  ASSERT_TRUE(sub);
  EXPECT_EQ(boost::json::parse(sub->params_text), sub->params);
}

namespace {

std::string job_with_callback(std::string_view url) {
  return R"({"adapter":"hook","params":{},"callback_url":")" + std::string{url}
  + R"("})";
}

} // namespace

TEST(JobInput, CallbackUrlNamingADeniedAddressIsInvalid) {
  net::address_policy public_only;
  for (auto url :
       {"http://127.0.0.1:9000/done", "http://[::1]/cb", "http://0.0.0.0/",
        "http://169.254.169.254/latest/meta-data", "https://10.0.0.1/x",
        "http://192.168.0.10/", "http://[fd00::1]/", "http://[fe80::1]/",
        "http://[::ffff:127.0.0.1]/", "http://100.64.0.1/"}) {
    auto sub = net::parse_job(job_with_callback(url), {}, public_only);
    ASSERT_FALSE(sub) << url;
    EXPECT_EQ(code_of(sub.error()), ec::invalid_field) << url;
    EXPECT_NE(message_of(sub.error()).find("security.callback_allow"),
              std::string::npos)
      << message_of(sub.error());
    auto note = net::parse_notification(R"({"job_id":"n1-x","callback_url":")"
                                          + std::string{url} + R"("})",
                                        public_only);
    EXPECT_FALSE(note) << url;
    auto batch = net::parse_job_batch(
      R"({"jobs":[)" + job_with_callback(url) + "]}", public_only);
    ASSERT_TRUE(batch);
    EXPECT_FALSE(batch->at(0)) << url;
  }
  auto sub = net::parse_job(job_with_callback("http://127.0.0.1:9000/done"), {},
                            public_only);
  ASSERT_FALSE(sub);
  EXPECT_EQ(message_of(sub.error()),
            "field 'callback_url' points to 127.0.0.1, a loopback address: "
            "client-supplied URLs may reach only public addresses unless "
            "security.callback_allow admits them");
}

TEST(JobInput, CallbackUrlWithANameOrAnAllowedAddressIsValid) {
  config::cidr loopback;
  ASSERT_TRUE(config::parse_cidr("127.0.0.0/8", loopback));
  net::address_policy allow_loopback{{loopback}};
  // Names are judged when connecting, on what they resolve to then.
  for (auto url : {"http://localhost:9000/done", "https://hooks.example.com/"})
    EXPECT_TRUE(net::parse_job(job_with_callback(url), {}, {})) << url;
  EXPECT_TRUE(net::parse_job(job_with_callback("http://8.8.8.8/"), {}, {}));
  EXPECT_TRUE(net::parse_job(job_with_callback("http://127.0.0.1:9000/done"),
                             {}, allow_loopback));
  EXPECT_FALSE(
    net::parse_job(job_with_callback("http://[::1]/"), {}, allow_loopback));
}
