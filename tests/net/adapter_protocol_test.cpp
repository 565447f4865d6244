#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "net/adapter_sdk/protocol.hpp"

namespace proto = ns::adapter_protocol;

TEST(AdapterProtocol, TypesRoundTrip) {
  for (auto t :
       {proto::msg_type::hello, proto::msg_type::welcome,
        proto::msg_type::refuse, proto::msg_type::job, proto::msg_type::result,
        proto::msg_type::credit, proto::msg_type::cancel,
        proto::msg_type::heartbeat, proto::msg_type::bye})
    EXPECT_EQ(proto::parse_type(proto::to_string(t)), t);
  EXPECT_FALSE(proto::parse_type("Hello"));
  EXPECT_FALSE(proto::parse_type(""));
  EXPECT_FALSE(proto::parse_type(std::string_view{"job\0", 4}));
}

TEST(AdapterProtocol, HelloRoundTrip) {
  std::string why;
  auto h = proto::decode_hello(
    proto::encode(proto::hello{1, "nsa_abc", 16, "box-1"}), why);
  ASSERT_TRUE(h) << why;
  EXPECT_EQ(h->protocol, 1);
  EXPECT_EQ(h->key, "nsa_abc");
  EXPECT_EQ(h->credit, 16u);
  EXPECT_EQ(h->name, "box-1");
}

TEST(AdapterProtocol, HelloChecksEveryField) {
  std::string why;
  EXPECT_FALSE(proto::decode_hello("", why));
  EXPECT_NE(why.find("not JSON"), std::string::npos) << why;
  EXPECT_FALSE(proto::decode_hello("[1]", why));
  EXPECT_NE(why.find("not a JSON object"), std::string::npos) << why;
  EXPECT_FALSE(proto::decode_hello(R"({"key":"k","credit":1})", why));
  EXPECT_NE(why.find("protocol"), std::string::npos) << why;
  EXPECT_FALSE(
    proto::decode_hello(R"({"protocol":"1","key":"k","credit":1})", why));
  EXPECT_FALSE(proto::decode_hello(R"({"protocol":1,"credit":1})", why));
  EXPECT_NE(why.find("'key' is missing"), std::string::npos) << why;
  EXPECT_FALSE(
    proto::decode_hello(R"({"protocol":1,"key":5,"credit":1})", why));
  EXPECT_FALSE(
    proto::decode_hello(R"({"protocol":1,"key":"k","credit":-1})", why));
  EXPECT_FALSE(
    proto::decode_hello(R"({"protocol":1,"key":"k","credit":10001})", why));
  EXPECT_NE(why.find("at most 10000"), std::string::npos) << why;
  EXPECT_FALSE(
    proto::decode_hello(R"({"protocol":1,"key":"k","credit":1.5})", why));
  auto named = proto::decode_hello(
    R"({"protocol":1,"key":"k","credit":1,"name":"a\nb\u0000c"})", why);
  ASSERT_TRUE(named) << why;
  EXPECT_EQ(named->name, "a?b?c");
  // A version the decoder does not judge: the gateway refuses it by name.
  auto h = proto::decode_hello(
    R"({"protocol":7,"key":"k","credit":0,"future":true})", why);
  ASSERT_TRUE(h) << why;
  EXPECT_EQ(h->protocol, 7);
}

TEST(AdapterProtocol, JobSplicesParams) {
  proto::job j;
  j.job_id = "n1-1";
  j.idempotency_key = "idem";
  j.attempt = 2;
  j.priority = "high";
  j.create_time = "2026-11-23T10:00:00.000Z";
  j.expire_time = "2026-11-23T11:00:00.000Z";
  j.expire_at_ms = 1'795'000'000'000;
  auto text = proto::encode(j, R"({"text":"hi","n":[1,2]})");
  std::string why;
  auto back = proto::decode_job(text, why);
  ASSERT_TRUE(back) << why << " in " << text;
  EXPECT_EQ(back->job_id, "n1-1");
  EXPECT_EQ(back->idempotency_key, "idem");
  EXPECT_EQ(back->attempt, 2u);
  EXPECT_EQ(back->expire_at_ms, 1'795'000'000'000u);
  EXPECT_EQ(back->params, boost::json::parse(R"({"text":"hi","n":[1,2]})"));
  // No params text: an empty object.
  back = proto::decode_job(proto::encode(j, ""), why);
  ASSERT_TRUE(back) << why;
  EXPECT_TRUE(back->params.is_object());
}

TEST(AdapterProtocol, ResultRoundTripAndChecks) {
  proto::result r;
  r.job_id = "n1-1";
  r.what = proto::outcome::failed;
  r.retryable = true;
  r.message = "smtp 451";
  r.retry_after_ms = 2500;
  r.credit = 1;
  std::string why;
  auto back = proto::decode_result(proto::encode(r), why);
  ASSERT_TRUE(back) << why;
  EXPECT_EQ(back->what, proto::outcome::failed);
  EXPECT_TRUE(back->retryable);
  EXPECT_EQ(back->message, "smtp 451");
  EXPECT_EQ(back->retry_after_ms, 2500u);
  EXPECT_EQ(back->credit, 1u);
  for (auto o : {"succeeded", "canceled", "expired"}) {
    auto x = proto::decode_result(
      std::string{R"({"job_id":"a","outcome":")"} + o + "\"}", why);
    ASSERT_TRUE(x) << why;
    EXPECT_EQ(proto::to_string(x->what), o);
  }
  EXPECT_FALSE(proto::decode_result(R"({"job_id":"a","outcome":"ok"})", why));
  EXPECT_NE(why.find("outcome"), std::string::npos) << why;
  EXPECT_FALSE(proto::decode_result(R"({"outcome":"succeeded"})", why));
  EXPECT_FALSE(
    proto::decode_result(R"({"job_id":"","outcome":"succeeded"})", why));
  EXPECT_FALSE(proto::decode_result(
    R"({"job_id":"a","outcome":"failed","retryable":"yes"})", why));
  EXPECT_FALSE(proto::decode_result(
    R"({"job_id":"a","outcome":"failed","retry_after_ms":-5})", why));
  EXPECT_FALSE(proto::decode_result(
    R"({"job_id":"a","outcome":"succeeded","credit":99999})", why));
}

// Found by tests/fuzz/adapter_frame_fuzz: the cut at 2000 bytes (message)
// and 200 (name) split a two-byte character, and the text went on into
// logs, the store and JSON answers as invalid UTF-8.
TEST(AdapterProtocol, CutsNeverSplitACharacter) {
  std::string why;
  auto message = std::string(1999, 'a') + "\xc3\xa9";
  auto r = proto::decode_result(
    R"({"job_id":"a","outcome":"failed","message":")" + message + "\"}", why);
  ASSERT_TRUE(r) << why;
  EXPECT_EQ(r->message, std::string(1999, 'a'));
  auto name = std::string(199, 'b') + "\xe2\x82\xac"; // a euro sign
  auto h = proto::decode_hello(
    R"({"protocol":1,"key":"k","credit":1,"name":")" + name + "\"}", why);
  ASSERT_TRUE(h) << why;
  EXPECT_EQ(h->name, std::string(199, 'b'));
}

TEST(AdapterProtocol, SmallMessages) {
  std::string why;
  auto c = proto::decode_credit(proto::encode(proto::credit{5}), why);
  ASSERT_TRUE(c) << why;
  EXPECT_EQ(c->credit, 5u);
  EXPECT_FALSE(proto::decode_credit("{}", why));
  auto x = proto::decode_cancel(proto::encode(proto::cancel{"n1-9"}), why);
  ASSERT_TRUE(x) << why;
  EXPECT_EQ(x->job_id, "n1-9");
  auto r = proto::decode_refusal(
    proto::encode(proto::refusal{proto::code::bad_key, "unknown key"}), why);
  ASSERT_TRUE(r) << why;
  EXPECT_EQ(r->code, "bad_key");
  auto w = proto::decode_welcome(
    proto::encode(proto::welcome{"ins_1", "relay", 1000, 5000}), why);
  ASSERT_TRUE(w) << why;
  EXPECT_EQ(w->timeout_ms, 5000u);
  EXPECT_TRUE(proto::decode_empty("{}", why));
  EXPECT_FALSE(proto::decode_empty("", why));
  EXPECT_FALSE(proto::decode_empty("null", why));
}

TEST(AdapterProtocol, GarbageNeverPasses) {
  // Random bytes, truncations and wrong shapes are refused, never crash.
  std::string good = proto::encode(proto::hello{1, "nsa_k", 3, ""});
  std::string why;
  uint32_t seed = 12345;
  for (int i = 0; i < 2000; ++i) {
    auto s = good.substr(0, static_cast<size_t>(i) % (good.size() + 1));
    seed = seed * 1103515245u + 12345u;
    if (!s.empty())
      s[seed % s.size()] = static_cast<char>(seed >> 16);
    (void)proto::decode_hello(s, why);
    (void)proto::decode_result(s, why);
    (void)proto::decode_job(s, why);
  }
  EXPECT_FALSE(proto::decode_hello(good.substr(0, good.size() - 1), why));
}
