#include <set>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "actors/schema.hpp"
// As ns_actors builds valijson: its inline functions must be the same in
// every translation unit (without it a bad schema aborts instead of throwing).
#define VALIJSON_USE_EXCEPTIONS 1
#include <valijson/adapters/boost_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "config/error.hpp"

using namespace ns;
namespace json = boost::json;

TEST(ParamsSchema, InvalidSchemasAreNamedErrors) {
  for (auto text :
       {R"({"type":"strin"})", R"({"minimum":"x"})", R"({"properties":5})",
        R"({"required":"name"})", "5", R"("object")"}) {
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

namespace {

// What check() gave before it first validated without collecting errors and
// skipped empty schemas: one valijson run with results, as a JSON pointer.
std::vector<params_schema::violation> reference_check(const json::value& schema,
                                                      const json::value& doc) {
  valijson::Schema compiled;
  valijson::SchemaParser parser{valijson::SchemaParser::kDraft7};
  valijson::adapters::BoostJsonAdapter schema_adapter{schema};
  parser.populateSchema(schema_adapter, compiled);
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::BoostJsonAdapter adapter{doc};
  std::vector<params_schema::violation> out;
  if (validator.validate(compiled, adapter, &results))
    return out;
  valijson::ValidationResults::Error err;
  while (results.popError(err)) {
    std::string path;
    for (auto& step : err.context) {
      if (step == "<root>")
        continue;
      path += '/';
      path += step.substr(1, step.size() - 2); // "[x]"; no ~ or / below
    }
    out.push_back({path, err.description});
  }
  return out;
}

} // namespace

TEST(ParamsSchema, AgreesWithAFullValijsonRun) {
  auto schemas = {R"({})",
                  R"({"type":"object","required":["to","subject","name"],
        "additionalProperties":false,
        "properties":{"to":{"type":"string","minLength":3,"maxLength":254},
                      "subject":{"type":"string","minLength":1},
                      "name":{"type":"string"},
                      "vars":{"type":"object","required":["plan"],
                              "properties":{"seats":{"type":"integer",
                                                     "minimum":1}}}}})",
                  R"({"anyOf":[{"required":["a"]},{"required":["b"]}],
        "properties":{"a":{"enum":[1,2]},"b":{"type":"array",
                      "items":{"type":"string","pattern":"^x"}}}})",
                  R"({"oneOf":[{"type":"object"},{"required":["a"]}],
        "not":{"required":["z"]}})"};
  auto docs
    = {R"({})",
       R"({"to":"alice@example.com","subject":"Hi","name":"Al"})",
       R"({"to":"a","subject":"","name":5,"extra":true})",
       R"({"to":"ali@x.io","subject":"Hi","name":"Al","vars":{"seats":0}})",
       R"({"a":3,"b":["x1","y2",7]})",
       R"({"a":1})",
       R"({"z":null,"a":[]})"};
  for (auto schema_text : schemas) {
    auto schema_value = json::parse(schema_text);
    auto schema = params_schema::compile(schema_value);
    ASSERT_TRUE(schema) << schema_text;
    for (auto doc_text : docs) {
      auto doc = json::parse(doc_text);
      auto got = (*schema)->check(doc);
      auto want = reference_check(schema_value, doc);
      ASSERT_EQ(got.size(), want.size()) << schema_text << "\n" << doc_text;
      for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].path, want[i].path) << schema_text << "\n" << doc_text;
        EXPECT_EQ(got[i].message, want[i].message) << schema_text << "\n"
                                                   << doc_text;
      }
    }
  }
}

// The propertyNames groups of the JSON Schema Test Suite, draft 7
// (tests/draft7/propertyNames.json), written out: each case's description
// beside its data.
TEST(ParamsSchema, PropertyNamesAsTheDraft7TestSuiteSays) {
  struct test_case {
    const char* data;
    bool valid;
  };
  struct group {
    const char* schema;
    std::vector<test_case> cases;
  };
  std::vector<group> groups{
    {R"({"propertyNames": {"maxLength": 3}})",
     {
       {R"({"f": {}, "foo": {}})", true},       // all property names valid
       {R"({"foo": {}, "foobar": {}})", false}, // some property names invalid
       {R"({})", true},                         // object without properties
       {R"([1, 2, 3, 4])", true},               // ignores arrays
       {R"("foobar")", true},                   // ignores strings
       {R"(12)", true},                         // ignores other non-objects
     }},
    {R"({"propertyNames": {"pattern": "^a+$"}})",
     {
       {R"({"a": {}, "aa": {}, "aaa": {}})", true}, // matching names valid
       {R"({"aaA": {}})", false}, // non-matching property name is invalid
       {R"({})", true},           // object without properties is valid
     }},
    {R"({"propertyNames": true})",
     {
       {R"({"foo": 1})", true}, // object with any properties is valid
       {R"({})", true},         // empty object is valid
     }},
    {R"({"propertyNames": false})",
     {
       {R"({"foo": 1})", false}, // object with any properties is invalid
       {R"({})", true},          // empty object is valid
     }},
  };
  for (auto& g : groups) {
    auto schema = params_schema::compile(json::parse(g.schema));
    ASSERT_TRUE(schema) << g.schema;
    for (auto& c : g.cases)
      EXPECT_EQ((*schema)->check(json::parse(c.data)).empty(), c.valid)
        << g.schema << " with " << c.data;
  }
}

TEST(ParamsSchema, PropertyNamesBelowTheRoot) {
  auto schema = params_schema::compile(json::parse(R"({
    "properties": {"tags": {"type": "object",
                            "propertyNames": {"pattern": "^[a-z]+$"}}}})"));
  ASSERT_TRUE(schema);
  EXPECT_TRUE((*schema)->check(json::parse(R"({"tags":{"ok":1}})")).empty());
  EXPECT_FALSE((*schema)->check(json::parse(R"({"tags":{"NO":1}})")).empty());
}
