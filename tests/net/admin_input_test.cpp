#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "config/error.hpp"
#include "net/admin_input.hpp"

using namespace ns;
using namespace ns::net;

namespace {

template <class T>
std::string field_of(const caf::expected<T>& res) {
  return details_of(res.error());
}

} // namespace

TEST(AdminInput, ClientSpecFullAndMinimal) {
  auto s = parse_client_spec(
    R"({"name":"billing","adapters":["a","b","a"],"rate_limit":{"rps":5},"blocked":true})");
  ASSERT_TRUE(s) << message_of(s.error());
  EXPECT_EQ(s->name, "billing");
  EXPECT_EQ(s->adapters.names, (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(s->limit);
  EXPECT_EQ(s->limit->rps, 5u);
  EXPECT_EQ(s->limit->burst, 5u); // burst defaults to rps
  EXPECT_TRUE(s->blocked);
  s = parse_client_spec(R"({"name":"x","adapters":"*"})");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->adapters.all);
  EXPECT_FALSE(s->limit);
}

TEST(AdminInput, MalformedBodies) {
  for (auto body : {"", "{", "[1]", "\"x\"", "{\"name\":}", "\xff\xfe"}) {
    auto s = parse_client_spec(body);
    ASSERT_FALSE(s) << body;
    EXPECT_EQ(code_of(s.error()), ec::malformed_json) << body;
  }
}

TEST(AdminInput, FieldErrorsNameTheField) {
  struct bad {
    const char* body;
    const char* field;
  };
  for (auto [body, field] : std::vector<bad>{
         {R"({"adapters":"*"})", "name"},
         {R"({"name":5,"adapters":"*"})", "name"},
         {R"({"name":"","adapters":"*"})", "name"},
         {R"({"name":"x"})", "adapters"},
         {R"({"name":"x","adapters":"all"})", "adapters"},
         {R"({"name":"x","adapters":[1]})", "adapters"},
         {R"({"name":"x","adapters":"*","blocked":"yes"})", "blocked"},
         {R"({"name":"x","adapters":"*","rate_limit":{"rps":0}})",
          "rate_limit.rps"},
         {R"({"name":"x","adapters":"*","rate_limit":{"rps":1,"x":1}})",
          "rate_limit.x"},
         {R"({"name":"x","adapters":"*","colour":"red"})", "colour"},
       }) {
    auto s = parse_client_spec(body);
    ASSERT_FALSE(s) << body;
    EXPECT_EQ(code_of(s.error()), ec::invalid_field) << body;
    EXPECT_EQ(field_of(s), std::string{R"({"field":")"} + field + "\"}")
      << body;
  }
}

TEST(AdminInput, AdapterSpecDefaultsAndRanges) {
  auto s = parse_adapter_spec(
    R"({"name":"hook","type":"webhook","config":{"url":"http://h"}})");
  ASSERT_TRUE(s) << message_of(s.error());
  EXPECT_EQ(s->type, adapter_type::webhook);
  EXPECT_EQ(s->concurrency, 64u);
  EXPECT_EQ(s->default_ttl_s, 86400u);
  EXPECT_EQ(s->retry.max_attempts, 5u);
  EXPECT_TRUE(s->params_schema.is_object());
  s = parse_adapter_spec(R"({"name":"e","type":"external",
    "retry":{"max_attempts":2},"concurrency":1,"default_ttl_s":60,
    "params_schema":{"type":"object"}})");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->retry.max_attempts, 2u);
  EXPECT_EQ(s->retry.initial_backoff_ms, 1000u);
  for (auto body : {
         R"({"name":"x","type":"fax"})",
         R"({"name":"Bad Name","type":"webhook"})",
         R"({"name":"x","type":"webhook","concurrency":0})",
         R"({"name":"x","type":"webhook","concurrency":99999})",
         R"({"name":"x","type":"webhook","concurrency":1.5})",
         R"({"name":"x","type":"webhook","default_ttl_s":-1})",
         R"({"name":"x","type":"webhook","config":[]})",
         R"({"name":"x","type":"webhook","params_schema":"object"})",
         R"({"name":"x","type":"webhook","retry":{"max_attempts":0}})",
       }) {
    auto res = parse_adapter_spec(body);
    ASSERT_FALSE(res) << body;
    EXPECT_EQ(code_of(res.error()), ec::invalid_field) << body;
  }
}

TEST(AdminInput, AdapterPatchRefusesIdentityFields) {
  auto p = parse_adapter_patch(R"({"type":"smtp"})");
  ASSERT_FALSE(p);
  EXPECT_EQ(field_of(p), R"({"field":"type"})");
  p = parse_adapter_patch(R"({"blocked":true,"retry":{"max_backoff_ms":5}})");
  ASSERT_TRUE(p);
  EXPECT_TRUE(*p->blocked);
  ASSERT_TRUE(p->retry);
  EXPECT_FALSE(p->retry->max_attempts);
  EXPECT_EQ(*p->retry->max_backoff_ms, 5u);
}

TEST(AdminInput, ClientPatchCanClearTheRateLimit) {
  auto p = parse_client_patch(R"({"rate_limit":null})");
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->limit);
  EXPECT_FALSE(*p->limit);
  p = parse_client_patch("{}");
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->limit);
  EXPECT_FALSE(p->blocked);
}
