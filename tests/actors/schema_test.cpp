#include "actors/schema.hpp"

#include <set>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "config/error.hpp"

using namespace ns;
namespace json = boost::json;

TEST(ParamsSchema, InvalidSchemasAreNamedErrors) {
  for (auto text : {R"({"type":"strin"})", R"({"minimum":"x"})",
                    R"({"properties":5})", R"({"required":"name"})", "5",
                    R"("object")"}) {
    auto res = params_schema::compile(json::parse(text));
    ASSERT_FALSE(res) << text;
    EXPECT_EQ(code_of(res.error()), ec::invalid_field) << text;
    EXPECT_NE(message_of(res.error()).find("params_schema"), std::string::npos);
  }
}

TEST(ParamsSchema, ChecksDocumentsWithPaths) {
  auto schema = params_schema::compile(json::parse(R"({
    "type": "object", "required": ["to", "text"],
    "properties": {
      "to": {"type": "string", "pattern": "^\\+[0-9]+$"},
      "text": {"type": "string", "maxLength": 5},
      "tags": {"type": "array", "items": {"type": "integer"}}}})"));
  ASSERT_TRUE(schema) << message_of(schema.error());
  EXPECT_TRUE(
    (*schema)->check(json::parse(R"({"to":"+49","text":"hi"})")).empty());
  auto errs = (*schema)->check(
    json::parse(R"({"to":"49","text":"too long","tags":[1,"x"]})"));
  ASSERT_FALSE(errs.empty());
  std::set<std::string> paths;
  for (auto& e : errs) {
    paths.insert(e.path);
    EXPECT_FALSE(e.message.empty());
  }
  EXPECT_TRUE(paths.count("/to"));
  EXPECT_TRUE(paths.count("/text"));
  EXPECT_TRUE(paths.count("/tags/1"));
  EXPECT_FALSE((*schema)->check(json::parse(R"({"to":"+1"})")).empty());
}

TEST(ParamsSchema, BooleanAndEmptySchemas) {
  auto any = params_schema::compile(json::parse("{}"));
  ASSERT_TRUE(any);
  EXPECT_TRUE((*any)->check(json::parse(R"({"x":[1,2]})")).empty());
  auto none = params_schema::compile(json::parse("false"));
  ASSERT_TRUE(none);
  EXPECT_FALSE((*none)->check(json::parse("{}")).empty());
}
