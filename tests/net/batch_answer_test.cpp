#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "actors/clock.hpp"
#include "config/error.hpp"
#include "net/batch_answer.hpp"
#include "net/http_errors.hpp"

using namespace ns;
using namespace ns::net;

namespace {

namespace json = boost::json;

// The answer as it was built before batch_answer_body: a Boost.JSON tree,
// serialized. The text version must give the same bytes.
std::string tree_answer(const std::vector<batch_result>& results) {
  json::array out;
  for (auto& r : results) {
    if (r.error) {
      out.push_back(json::object{{"error", error_json(r.error)}});
      continue;
    }
    json::object o{{"job_id", r.job_id},
                   {"state", to_string(r.state)},
                   {"create_time", clock::rfc3339(r.create_ms)},
                   {"expire_time", clock::rfc3339(r.expire_ms)}};
    if (r.scheduled_ms != 0)
      o["scheduled_at"] = clock::rfc3339(r.scheduled_ms);
    out.push_back(std::move(o));
  }
  return json::serialize(json::object{{"results", std::move(out)}});
}

batch_result accepted(std::string id, uint64_t create_ms, uint64_t expire_ms,
                      uint64_t scheduled_ms = 0) {
  job_record job;
  job.id = std::move(id);
  job.client_id = "cl_1";
  job.params = R"({"a":1})";
  job.state = scheduled_ms != 0 ? job_state::scheduled : job_state::queued;
  job.create_ms = create_ms;
  job.expire_ms = expire_ms;
  job.scheduled_ms = scheduled_ms;
  return batch_accepted(std::move(job));
}

batch_result failed(caf::error err) {
  batch_result r;
  r.error = std::move(err);
  return r;
}

} // namespace

TEST(AcceptedAnswer, IsTheBatchEntryOfTheSameJob) {
  for (uint64_t scheduled : {uint64_t{0}, uint64_t{1'795'000'060'000}})
    for (std::string id : {"node-1-00a1", "we\"ird\\id"}) {
      job_record job;
      job.id = id;
      job.state = scheduled != 0 ? job_state::scheduled : job_state::queued;
      job.create_ms = 1'795'000'000'123;
      job.expire_ms = 1'795'086'400'000;
      job.scheduled_ms = scheduled;
      auto copy = job;
      auto whole = tree_answer({batch_accepted(std::move(copy))});
      // {"results":[<entry>]}
      auto entry = whole.substr(12, whole.size() - 14);
      EXPECT_EQ(accepted_body(job), entry) << id << " " << scheduled;
    }
}

TEST(BatchAnswer, AcceptedJobsMatchTheTree) {
  std::vector<batch_result> xs;
  for (uint64_t i = 0; i < 5; ++i)
    xs.push_back(accepted("node-1-0001" + std::to_string(i),
                          1'795'000'000'000 + i / 2, 1'795'086'400'000));
  EXPECT_EQ(batch_answer_body(xs), tree_answer(xs));
}

TEST(BatchAnswer, ScheduledJobsNameTheirTime) {
  std::vector<batch_result> xs{
    accepted("a", 1'795'000'000'000, 1'795'086'400'000, 1'795'000'060'000),
    accepted("b", 1'795'000'000'000, 1'795'086'400'000),
    accepted("c", 1'795'000'000'001, 1'795'086'400'000, 1'795'000'060'000)};
  auto body = batch_answer_body(xs);
  EXPECT_EQ(body, tree_answer(xs));
  EXPECT_NE(body.find(R"("scheduled_at":"2026-)"), std::string::npos);
}

TEST(BatchAnswer, ErrorsKeepTheirCodeMessageAndDetails) {
  std::vector<batch_result> xs{
    failed(make_error(ec::invalid_field, "field 'adapter' is required",
                      R"({"field":"adapter"})")),
    accepted("node-1-1", 1'795'000'000'000, 1'795'086'400'000),
    failed(make_error(ec::rate_limited, "over the client's rate limit")),
    failed(make_error(ec::invalid_params, "params do not match",
                      R"({"errors":[{"path":"/to","message":"\"x\" é"}]})"))};
  EXPECT_EQ(batch_answer_body(xs), tree_answer(xs));
}

TEST(BatchAnswer, IdsThatNeedEscapingAreEscapedAsBoostDoes) {
  std::vector<batch_result> xs{
    accepted("no\"de\\1", 1'795'000'000'000, 1'795'086'400'000),
    accepted("nöde\x01", 1'795'000'000'000, 1'795'086'400'000)};
  EXPECT_EQ(batch_answer_body(xs), tree_answer(xs));
}

TEST(BatchAnswer, TakesOnlyWhatTheAnswerNames) {
  job_record job;
  job.id = "node-1-abc";
  job.state = job_state::scheduled;
  job.create_ms = 1;
  job.expire_ms = 2;
  job.scheduled_ms = 3;
  auto r = batch_accepted(std::move(job));
  EXPECT_EQ(r.job_id, "node-1-abc");
  EXPECT_EQ(r.state, job_state::scheduled);
  EXPECT_EQ(r.create_ms, 1u);
  EXPECT_EQ(r.expire_ms, 2u);
  EXPECT_EQ(r.scheduled_ms, 3u);
  EXPECT_FALSE(r.error);
}
