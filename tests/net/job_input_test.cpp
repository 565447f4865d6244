#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "net/job_input.hpp"

// simdjson.h stays out of test files: ns_net compiles it with
// SIMDJSON_THREADS_ENABLED, and a test file without it would see another
// layout of the same classes.

using namespace ns;

namespace {

boost::json::value params_of(std::string_view params) {
  auto body = R"({"adapter":"hook","params":)" + std::string{params} + "}";
  auto sub = net::parse_job(body, {});
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
  auto sub = net::parse_job(R"({"adapter":"hook","params":{"a":1,"a":2}})", {});
  EXPECT_FALSE(sub);
}

TEST(JobInput, ParamsTextIsTheSameJson) {
  auto sub = net::parse_job(
    R"({"adapter":"hook","params":{ "text" : "hi", "n" : [1, 2] }})", {});
  ASSERT_TRUE(sub);
  EXPECT_EQ(boost::json::parse(sub->params_text), sub->params);
}
