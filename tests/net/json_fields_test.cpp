#include "net/json_fields.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

using namespace ns::net;

namespace {

boost::json::value via_simdjson(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  EXPECT_FALSE(parser.parse(text).get(root)) << text;
  return json_fields::to_boost(root);
}

} // namespace

TEST(JsonFields, ToBoostBuildsTheSameTreeAsBoostParse) {
  for (std::string_view text : {
         R"({})",
         R"({"text":"hello","n":1,"neg":-42,"pi":3.25,"yes":true,"no":false,"nothing":null})",
         R"({"big":18446744073709551615,"min":-9223372036854775808,"exp":1e300})",
         R"({"nested":{"list":[1,"two",[3,{"four":4}],{}],"empty":[]}})",
         R"({"utf8":"Привет, мир ✓","escaped":"a\"b\\c\n\u0000d"})",
       }) {
    EXPECT_EQ(via_simdjson(text), boost::json::parse(text)) << text;
  }
}

TEST(JsonFields, ToBoostKeepsTheLastOfARepeatedKey) {
  auto v = via_simdjson(R"({"a":1,"a":2})");
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v.get_object().size(), 1u);
  EXPECT_EQ(v.at("a"), 2);
}
