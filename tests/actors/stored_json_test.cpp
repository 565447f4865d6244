// What the edge accepts must load again: stored records and delivered jobs
// nest as deep as max_json_depth allows (Boost.JSON's own default is 32), and
// text that reaches JSON output is UTF-8, cut on character boundaries.

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "actors/channels.hpp"
#include "actors/job.hpp"
#include "actors/job_view.hpp"
#include "actors/model.hpp"
#include "actors/registry.hpp"
#include "actors/schema.hpp"
#include "actors/webhook_channel.hpp"
#include "config/json_limits.hpp"
#include "config/utf8.hpp"

using namespace ns;
namespace json = boost::json;

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

json::value deep(size_t depth) {
  return json::parse(nested(depth), {}, stored_json_options());
}

// The deepest user value the edge lets through: inside the body (level 1).
constexpr size_t deepest = max_json_depth - 1;

} // namespace

TEST(StoredJson, AdapterWithTheDeepestConfigAndSchemaLoadsAgain) {
  adapter_record a;
  a.name = "deep";
  a.type = adapter_type::webhook;
  a.config = deep(deepest).as_object();
  a.params_schema = deep(deepest);
  auto back = decode_adapter(encode(a));
  ASSERT_TRUE(back) << to_string(back.error());
  EXPECT_EQ(back->config, a.config);
  EXPECT_EQ(back->params_schema, a.params_schema);
  EXPECT_TRUE(params_schema::compile(back->params_schema));
}

TEST(StoredJson, JobWithTheDeepestParamsShowsThemInGet) {
  job_record j;
  j.id = "n1-1";
  j.adapter = "hook";
  j.params = nested(deepest);
  auto shown = job_json(j);
  EXPECT_EQ(shown.at("params"), deep(deepest));
  // What the result callback posts is the same view, serialized.
  auto posted = json::parse(json::serialize(shown), {}, stored_json_options());
  EXPECT_EQ(posted.at("params"), deep(deepest));
}

TEST(StoredJson, DeliveryParamsOfTheDeepestJob) {
  adapter_entry entry;
  entry.rec.name = "hook";
  job_record j;
  j.params = nested(deepest);
  auto params = delivery_params(entry, j);
  ASSERT_TRUE(params) << to_string(params.error());
  EXPECT_EQ(json::value(*params), deep(deepest));
}

TEST(OutputText, LastErrorIsUtf8WhateverItCameFrom) {
  resident_job job{job_record{}};
  job.set_last_error("550 caf\xe9 \xff");
  EXPECT_TRUE(utf8::valid(job.last_error())) << job.last_error();
  EXPECT_EQ(job.last_error(), "550 caf\xef\xbf\xbd \xef\xbf\xbd");
  EXPECT_EQ(job.record().last_error, job.last_error());
}

TEST(OutputText, ReceiverExcerptIsCutOnACharacterBoundary) {
  // 199 bytes, then a 2-byte character across the 200-byte limit.
  auto cut = excerpt(std::string(199, 'x') + "\xc3\xa9" + "more");
  EXPECT_EQ(cut, std::string(199, 'x'));
  // A body that is not UTF-8 at all.
  cut = excerpt("bad \xff\xfe answer");
  EXPECT_EQ(cut, "bad \xef\xbf\xbd\xef\xbf\xbd answer");
  http_outcome o;
  o.status = 500;
  o.body = std::string(198, 'y') + "\xe2\x82\xac\xe2\x82\xac";
  auto res = classify(o);
  EXPECT_TRUE(utf8::valid(res.message)) << res.message;
  EXPECT_EQ(res.message, "HTTP 500: " + std::string(198, 'y'));
}
