#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "actors/templates.hpp"
#include "config/error.hpp"

using namespace ns;
namespace json = boost::json;

namespace {

std::shared_ptr<template_set> one_template(std::string name, json::object parts,
                                           bool strict = false,
                                           uint64_t versions = 1) {
  auto set = std::make_shared<template_set>();
  for (uint64_t v = 1; v <= versions; ++v) {
    auto rec = std::make_shared<template_record>();
    rec->adapter = "a";
    rec->name = name;
    rec->version = v;
    rec->parts = parts;
    if (v > 1)
      for (auto& [k, x] : rec->parts)
        x = std::string{x.as_string()} + " v" + std::to_string(v);
    rec->strict = strict;
    set->by_name[name][v] = rec;
  }
  return set;
}

adapter_record adapter_of(adapter_type type) {
  adapter_record a;
  a.name = "a";
  a.type = type;
  return a;
}

json::object obj(std::string_view text) {
  return json::parse(text).as_object();
}

} // namespace

TEST(Templates, RendersVariablesSectionsAndLists) {
  auto out = render_mustache(
    "Hi {{name}}{{#vip}} (VIP){{/vip}}:{{#items}} {{.}}{{/items}} n={{n}}",
    json::parse(R"({"name":"Ann","vip":true,"items":["a","b"],"n":3})"), false);
  ASSERT_TRUE(out) << message_of(out.error());
  EXPECT_EQ(*out, "Hi Ann (VIP): a b n=3");
}

// Found by tests/fuzz/template_fuzz: Mustache took a string of the job's
// data for the partial `{{> x}}`, so data was rendered as a template (a
// data value "{{> x}}" recursed until the stack overflowed).
TEST(Templates, DataIsNeverRenderedAsAPartial) {
  auto data = json::parse(R"({"x":"{{y}}","y":"Y"})");
  auto out = render_mustache("a{{> x}}b", data, false);
  ASSERT_TRUE(out) << message_of(out.error());
  EXPECT_EQ(*out, "ab");
  out = render_mustache("a{{> x}}b", json::parse(R"({"x":"{{> x}}"})"), false);
  ASSERT_TRUE(out) << message_of(out.error());
  EXPECT_EQ(*out, "ab");
}

TEST(Templates, EscapesHtmlOnlyWhenAsked) {
  auto data = json::parse(R"({"x":"<b>&\"'"})");
  EXPECT_EQ(*render_mustache("{{x}}", data, true), "&lt;b&gt;&amp;&quot;&#39;");
  EXPECT_EQ(*render_mustache("{{x}}", data, false), "<b>&\"'");
  EXPECT_EQ(*render_mustache("{{{x}}}", data, true), "<b>&\"'");
}

TEST(Templates, MissingVariablesRenderEmptyUnlessStrict) {
  std::vector<std::string> missing;
  auto out = render_mustache("Hi {{name}}, code {{code}}",
                             json::parse(R"({"name":"Ann"})"), false, &missing);
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, "Hi Ann, code ");
  EXPECT_EQ(missing, std::vector<std::string>{"code"});
  auto set = one_template("otp", obj(R"({"text":"code {{code}}"})"), true);
  auto res = render_params(adapter_of(adapter_type::sms), set.get(),
                           obj(R"({"template":"otp","data":{}})"));
  ASSERT_FALSE(res);
  EXPECT_EQ(code_of(res.error()), ec::invalid_params);
  EXPECT_NE(message_of(res.error()).find("code"), std::string::npos);
  set = one_template("otp", obj(R"({"text":"code {{code}}"})"), false);
  res = render_params(adapter_of(adapter_type::sms), set.get(),
                      obj(R"({"template":"otp","data":{}})"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->params.at("text").as_string(), "code ");
}

TEST(Templates, InvalidTemplatesAreRefused) {
  EXPECT_TRUE(check_template_parts(obj(R"({"text":"{{#a}} unclosed"})")));
  EXPECT_TRUE(check_template_parts(obj(R"({"text":"{{x"})")));
  EXPECT_TRUE(check_template_parts(obj(R"({"text":1})")));
  EXPECT_TRUE(check_template_parts(obj("{}")));
  EXPECT_FALSE(check_template_parts(obj(R"({"text":"{{x}}","html":"<p/>"})")));
}

TEST(Templates, PartsBecomeParamsWithChannelEscaping) {
  auto set = one_template(
    "welcome", obj(R"({"subject":"Hi {{name}}","text":"Dear {{name}}",
                       "html":"<p>Dear {{name}}</p>"})"));
  auto res
    = render_params(adapter_of(adapter_type::smtp), set.get(),
                    obj(R"({"template":"welcome","data":{"name":"<Ann & Bob>"},
            "to":"a@example.com"})"));
  ASSERT_TRUE(res) << message_of(res.error());
  auto& p = res->params;
  EXPECT_EQ(p.at("subject").as_string(), "Hi <Ann & Bob>");
  EXPECT_EQ(p.at("text").as_string(), "Dear <Ann & Bob>");
  EXPECT_EQ(p.at("html").as_string(), "<p>Dear &lt;Ann &amp; Bob&gt;</p>");
  EXPECT_EQ(p.at("to").as_string(), "a@example.com");
  EXPECT_FALSE(p.contains("template"));
  EXPECT_FALSE(p.contains("data"));
  EXPECT_EQ(res->version, 1u);
}

TEST(Templates, TelegramTextIsEscapedUnderHtmlParseMode) {
  auto set = one_template("t", obj(R"({"text":"<b>{{x}}</b>"})"));
  auto tg = adapter_of(adapter_type::telegram);
  auto res
    = render_params(tg, set.get(), obj(R"({"template":"t","data":{"x":"a<b"},
                                   "parse_mode":"HTML"})"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->params.at("text").as_string(), "<b>a&lt;b</b>");
  res = render_params(tg, set.get(),
                      obj(R"({"template":"t","data":{"x":"a<b"}})"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->params.at("text").as_string(), "<b>a<b</b>");
}

TEST(Templates, VersionsArePinnedOrLatest) {
  auto set = one_template("t", obj(R"({"text":"x"})"), false, 3);
  auto a = adapter_of(adapter_type::mattermost);
  auto latest = render_params(a, set.get(), obj(R"({"template":"t"})"));
  ASSERT_TRUE(latest);
  EXPECT_EQ(latest->version, 3u);
  EXPECT_EQ(latest->params.at("text").as_string(), "x v3");
  auto v1 = render_params(a, set.get(),
                          obj(R"({"template":"t","template_version":1})"));
  ASSERT_TRUE(v1);
  EXPECT_EQ(v1->params.at("text").as_string(), "x");
  auto v9 = render_params(a, set.get(),
                          obj(R"({"template":"t","template_version":9})"));
  ASSERT_FALSE(v9);
  EXPECT_EQ(code_of(v9.error()), ec::invalid_params);
  EXPECT_FALSE(render_params(a, set.get(), obj(R"({"template":"nope"})")));
  EXPECT_FALSE(render_params(a, nullptr, obj(R"({"template":"t"})")));
  EXPECT_FALSE(
    render_params(a, set.get(), obj(R"({"template":"t","data":[1]})")));
}

TEST(Templates, RecordRoundTripsAndKeysSortByVersion) {
  template_record t;
  t.adapter = "mail";
  t.name = "welcome";
  t.version = 7;
  t.parts = obj(R"({"text":"hi {{x}}"})");
  t.strict = true;
  t.created_ms = 5;
  auto back = decode_template(encode(t));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->name, "welcome");
  EXPECT_EQ(back->version, 7u);
  EXPECT_TRUE(back->strict);
  EXPECT_EQ(back->parts, t.parts);
  EXPECT_LT(template_key("mail", "w", 9), template_key("mail", "w", 10));
  EXPECT_EQ(template_key("mail", "w", 1).rfind(template_prefix("mail", "w"), 0),
            0u);
  // "w" and "w2" are different templates: their prefixes do not nest.
  EXPECT_NE(
    template_key("mail", "w2", 1).rfind(template_prefix("mail", "w"), 0), 0u);
  EXPECT_FALSE(decode_template("{}"));
}
