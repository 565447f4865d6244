#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "actors/model.hpp"
#include "config/error.hpp"

using namespace ns;
namespace json = boost::json;

TEST(Model, ClientRecordRoundTrips) {
  client_record c;
  c.id = "cl_1";
  c.name = "billing \"eu\"";
  c.adapters.names = {"mail", "tg"};
  c.limit = rate_limit{100, 200};
  c.blocked = true;
  c.created_ms = 1;
  c.updated_ms = 2;
  c.key_hash = "abc";
  c.signing_secret = "nss_x";
  auto back = decode_client(encode(c));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->name, c.name);
  EXPECT_EQ(back->adapters.names, c.adapters.names);
  EXPECT_FALSE(back->adapters.all);
  ASSERT_TRUE(back->limit);
  EXPECT_EQ(back->limit->burst, 200u);
  EXPECT_TRUE(back->blocked);
  EXPECT_EQ(back->key_hash, "abc");
  c.adapters = adapter_selection{true, {}};
  c.limit.reset();
  back = decode_client(encode(c));
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->adapters.all);
  EXPECT_FALSE(back->limit);
}

TEST(Model, AdapterRecordRoundTrips) {
  adapter_record a;
  a.name = "tg-alerts";
  a.type = adapter_type::telegram;
  a.config = json::parse(R"({"bot_token":"123:abc"})").as_object();
  a.params_schema = json::parse(R"({"type":"object"})");
  a.retry = retry_policy{3, 10, 20};
  a.version = 7;
  auto back = decode_adapter(encode(a));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->type, adapter_type::telegram);
  EXPECT_EQ(back->config, a.config);
  EXPECT_EQ(back->params_schema, a.params_schema);
  EXPECT_EQ(back->retry.max_attempts, 3u);
  EXPECT_EQ(back->version, 7u);
}

TEST(Model, CorruptRecordsAreErrorsNotCrashes) {
  EXPECT_FALSE(decode_client("not json"));
  EXPECT_FALSE(decode_client("[]"));
  EXPECT_FALSE(decode_client(R"({"id":1})"));
  EXPECT_FALSE(decode_adapter(R"({"name":"x","type":"fax"})"));
}

TEST(Model, SecretsAreMaskedAtAnyDepth) {
  auto cfg = json::parse(R"({"url":"http://x","password":"p","bot_token":"t",
    "headers":{"Authorization":"Bearer s","Accept":"a"},
    "servers":[{"api_key":"k","host":"h"}], "username":"u"})")
               .as_object();
  auto masked = json::serialize(mask_secrets(cfg));
  for (auto secret : {"\"p\"", "\"t\"", "Bearer s", "\"k\""})
    EXPECT_EQ(masked.find(secret), std::string::npos) << secret;
  for (auto kept : {"http://x", "\"a\"", "\"h\"", "\"u\""})
    EXPECT_NE(masked.find(kept), std::string::npos) << kept;
}

TEST(Model, SecretsAreHiddenWholeAndOnlyByWord) {
  auto cfg = json::parse(R"({"api_keys":["a","b"],"auth":{"user":"u"},
    "apiKey":"c","X-Auth-Token":"d","monkey":"m","author":"w","token":null,
    "password2":"p2","key1":"k1","passphrase":"pp","sim_pin":"1234",
    "pinned":true,"tokenizer":"t","v2":"x","42":"y"})")
               .as_object();
  auto masked = mask_secrets(cfg);
  EXPECT_EQ(masked.at("api_keys"), "***");
  EXPECT_EQ(masked.at("auth"), "***");
  EXPECT_EQ(masked.at("apiKey"), "***");
  EXPECT_EQ(masked.at("X-Auth-Token"), "***");
  EXPECT_EQ(masked.at("password2"), "***");
  EXPECT_EQ(masked.at("key1"), "***");
  EXPECT_EQ(masked.at("passphrase"), "***");
  EXPECT_EQ(masked.at("sim_pin"), "***");
  EXPECT_EQ(masked.at("monkey"), "m");
  EXPECT_EQ(masked.at("author"), "w");
  EXPECT_EQ(masked.at("pinned"), true);
  EXPECT_EQ(masked.at("tokenizer"), "t");
  EXPECT_EQ(masked.at("v2"), "x");
  EXPECT_EQ(masked.at("42"), "y");
  EXPECT_TRUE(masked.at("token").is_null()); // nothing to hide
}

TEST(Model, AdapterNames) {
  EXPECT_TRUE(valid_adapter_name("tg-alerts"));
  EXPECT_TRUE(valid_adapter_name("mail.eu_1"));
  EXPECT_FALSE(valid_adapter_name(""));
  EXPECT_FALSE(valid_adapter_name("-x"));
  EXPECT_FALSE(valid_adapter_name("Upper"));
  EXPECT_FALSE(valid_adapter_name("a/b"));
  EXPECT_FALSE(valid_adapter_name(std::string(65, 'a')));
}

TEST(Model, ChannelConfigIsCheckedPerType) {
  auto obj = [](const char* text) {
    return json::parse(text).as_object();
  };
  EXPECT_FALSE(validate_adapter_config(adapter_type::webhook,
                                       obj(R"({"url":"https://h/x"})")));
  EXPECT_TRUE(validate_adapter_config(adapter_type::webhook, obj("{}")));
  EXPECT_TRUE(validate_adapter_config(adapter_type::webhook,
                                      obj(R"({"url":"ftp://h/x"})")));
  EXPECT_TRUE(validate_adapter_config(adapter_type::webhook,
                                      obj(R"({"url":"not a url"})")));
  EXPECT_TRUE(
    validate_adapter_config(adapter_type::smtp, obj(R"({"host":"mx"})")));
  EXPECT_FALSE(validate_adapter_config(adapter_type::smtp,
                                       obj(R"({"host":"mx","from":"a@b"})")));
  EXPECT_FALSE(validate_adapter_config(adapter_type::external, obj("{}")));
}

TEST(Model, RetryPatchKeepsUnnamedFields) {
  retry_patch p;
  p.max_attempts = 2;
  auto merged = merge(retry_policy{5, 100, 1000}, p);
  EXPECT_EQ(merged.max_attempts, 2u);
  EXPECT_EQ(merged.initial_backoff_ms, 100u);
  EXPECT_EQ(merged.max_backoff_ms, 1000u);
  EXPECT_TRUE(validate_retry(retry_policy{1, 2000, 1000}));
}
