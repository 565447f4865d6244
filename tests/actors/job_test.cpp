#include <chrono>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "actors/callback_actor.hpp"
#include "actors/clock.hpp"
#include "actors/job.hpp"
#include "actors/job_ingest.hpp"
#include "actors/job_view.hpp"
#include "actors/repeater.hpp"
#include "actors/webhook_channel.hpp"
#include "store/keys.hpp"

using namespace ns;

namespace {

job_record sample() {
  job_record j;
  j.id = "n1-0001";
  j.client_id = "cl_1";
  j.adapter = "hook";
  j.params = R"({"text":"hi \"there\""})";
  j.idempotency_key = "k-1";
  j.callback_url = "http://127.0.0.1:1/cb";
  j.last_error = "HTTP 500";
  j.priority = job_priority::high;
  j.state = job_state::retrying;
  j.attempts = 3;
  j.create_ms = 1;
  j.expire_ms = 2;
  j.scheduled_ms = 3;
  j.start_ms = 4;
  j.finish_ms = 5;
  j.retry_at_ms = 6;
  return j;
}

} // namespace

TEST(JobRecord, RoundTripsEveryField) {
  auto j = sample();
  auto bytes = encode(j);
  auto back = decode_job(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id, j.id);
  EXPECT_EQ(back->params, j.params);
  EXPECT_EQ(back->idempotency_key, j.idempotency_key);
  EXPECT_EQ(back->callback_url, j.callback_url);
  EXPECT_EQ(back->last_error, j.last_error);
  EXPECT_EQ(back->priority, job_priority::high);
  EXPECT_EQ(back->state, job_state::retrying);
  EXPECT_EQ(back->attempts, 3u);
  EXPECT_EQ(back->create_ms, 1u);
  EXPECT_EQ(back->retry_at_ms, 6u);
  EXPECT_EQ(peek_state(bytes), job_state::retrying);
  EXPECT_EQ(peek_finish_ms(bytes), 5u);
}

TEST(ResidentJob, KeepsEveryFieldAndEncodesLikeTheRecord) {
  auto j = sample();
  resident_job r{j};
  EXPECT_EQ(r.id(), "n1-0001");
  EXPECT_EQ(r.adapter(), "hook");
  EXPECT_EQ(r.last_error(), "HTTP 500");
  EXPECT_EQ(r.state, job_state::retrying);
  EXPECT_EQ(r.retry_at_ms, 6u);
  // The durable bytes do not depend on which form the job was held in.
  EXPECT_EQ(encode(r), encode(j));
  auto back = r.record();
  EXPECT_EQ(encode(back), encode(j));
  EXPECT_EQ(back.client_id, "cl_1");
  EXPECT_EQ(back.params, j.params);
  EXPECT_EQ(back.idempotency_key, "k-1");
  EXPECT_EQ(back.callback_url, j.callback_url);
}

TEST(ResidentJob, ReplacesTheLastErrorAndKeepsTheRest) {
  auto j = sample();
  j.params = std::string(300, 'p'); // a length of two bytes
  resident_job r{j};
  r.set_last_error("a longer error than before: " + std::string(200, 'e'));
  r.set_last_error(r.last_error().substr(0, 5)); // from its own bytes
  r.state = job_state::failed;
  r.attempts = 9;
  j.last_error = "a lon";
  j.state = job_state::failed;
  j.attempts = 9;
  EXPECT_EQ(r.last_error(), "a lon");
  EXPECT_EQ(r.adapter(), "hook");
  EXPECT_EQ(encode(r), encode(j));
  EXPECT_EQ(r.record().params, j.params);
}

TEST(ResidentJob, DefaultIsAnEmptyJob) {
  resident_job r;
  EXPECT_EQ(r.id(), "");
  EXPECT_EQ(r.last_error(), "");
  EXPECT_EQ(encode(r), encode(job_record{}));
  r.set_last_error("x");
  EXPECT_EQ(r.record().last_error, "x");
}

TEST(JobRecord, CorruptBytesAreErrors) {
  auto bytes = encode(sample());
  EXPECT_FALSE(decode_job(""));
  EXPECT_FALSE(decode_job(bytes.substr(0, bytes.size() - 1)));
  auto bad = bytes;
  bad[1] = 42; // no such state
  EXPECT_FALSE(decode_job(bad));
  EXPECT_FALSE(peek_state(bad));
}

TEST(JobRecord, FinalStates) {
  for (auto s : {job_state::succeeded, job_state::failed, job_state::expired,
                 job_state::canceled})
    EXPECT_TRUE(is_final(s));
  for (auto s : {job_state::scheduled, job_state::queued, job_state::running,
                 job_state::retrying, job_state::canceling})
    EXPECT_FALSE(is_final(s));
}

TEST(JobRecord, IdsNameTheNodeAndSortByTime) {
  auto a = new_job_id("n7");
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  auto b = new_job_id("n7");
  EXPECT_EQ(a.rfind("n7-", 0), 0u);
  EXPECT_EQ(a.size(), 3u + 24u);
  EXPECT_LT(a, b);
  std::set<std::string> ids;
  for (int i = 0; i < 10000; ++i)
    ids.insert(new_job_id("n1"));
  EXPECT_EQ(ids.size(), 10000u);
}

TEST(JobView, DeliveryBodyCarriesParamsVerbatim) {
  auto body = delivery_json(sample());
  EXPECT_NE(body.find(R"("params":{"text":"hi \"there\""})"), std::string::npos)
    << body;
  EXPECT_NE(body.find(R"("idempotency_key":"k-1")"), std::string::npos);
  EXPECT_NE(body.find(R"("attempt":3)"), std::string::npos);
  EXPECT_EQ(body.back(), '}');
}

TEST(Backoff, GrowsExponentiallyUnderTheCapWithJitter) {
  std::mt19937_64 rng{42};
  retry_policy p{10, 100, 1000};
  for (uint32_t attempts = 1; attempts <= 8; ++attempts) {
    uint64_t ceiling = std::min<uint64_t>(1000, 100ull << (attempts - 1));
    uint64_t hi = 0;
    for (int i = 0; i < 500; ++i) {
      auto d = backoff_ms(p, attempts, 0, rng);
      EXPECT_LE(d, ceiling);
      hi = std::max(hi, d);
    }
    EXPECT_GT(hi, ceiling / 2) << "jitter should spread up to the ceiling";
  }
  // Huge attempt counts neither overflow nor pass the cap.
  EXPECT_LE(backoff_ms(p, 1000, 0, rng), 1000u);
}

TEST(Backoff, HonoursRetryAfter) {
  std::mt19937_64 rng{1};
  retry_policy p{10, 100, 1000};
  for (int i = 0; i < 100; ++i)
    EXPECT_GE(backoff_ms(p, 1, 5000, rng), 5000u);
}

TEST(WebhookOutcome, MapsStatusesToRetryOrFail) {
  auto with = [](unsigned status) {
    http_outcome o;
    o.status = status;
    return classify(o);
  };
  EXPECT_EQ(with(200).outcome, attempt_result::kind::succeeded);
  EXPECT_EQ(with(204).outcome, attempt_result::kind::succeeded);
  for (unsigned s : {408u, 429u, 500u, 502u, 503u}) {
    EXPECT_EQ(with(s).outcome, attempt_result::kind::failed) << s;
    EXPECT_TRUE(with(s).retryable) << s;
  }
  for (unsigned s : {301u, 400u, 401u, 404u, 422u})
    EXPECT_FALSE(with(s).retryable) << s;
  http_outcome refused;
  refused.error = "connect: connection refused";
  EXPECT_TRUE(classify(refused).retryable);
  http_outcome cert;
  cert.error = "tls: certificate verify failed";
  cert.permanent = true;
  EXPECT_FALSE(classify(cert).retryable);
  http_outcome slow;
  slow.status = 429;
  slow.retry_after = "3";
  EXPECT_EQ(classify(slow).retry_after_ms, 3000u);
}

TEST(WebhookOutcome, MessageIsOneLineOfTheAnswer) {
  http_outcome o;
  o.status = 400;
  o.body = "bad\r\nrecipient" + std::string(300, 'x');
  auto res = classify(o);
  EXPECT_EQ(res.message.substr(0, 20), "HTTP 400: bad  recip");
  EXPECT_EQ(res.message.find('\n'), std::string::npos);
  EXPECT_EQ(res.message.size(), std::string{"HTTP 400: "}.size() + 200);
}

TEST(WebhookCall, CarriesConfigHeadersJobHeadersAndTimeout) {
  adapter_record a;
  a.config = boost::json::object{{"url", "http://127.0.0.1:9/hook"},
                                 {"headers", {{"X-Team", "ops"}}},
                                 {"timeout_ms", 2500}};
  auto j = sample();
  j.idempotency_key = "k-1";
  auto call = webhook_call(a, j);
  EXPECT_EQ(call.url, "http://127.0.0.1:9/hook");
  auto has = [&](std::string_view k, std::string_view v) {
    for (auto& [hk, hv] : call.headers)
      if (hk == k && hv == v)
        return true;
    return false;
  };
  EXPECT_TRUE(has("X-Team", "ops"));
  EXPECT_TRUE(has("X-NS-Job-Id", j.id));
  EXPECT_TRUE(has("Idempotency-Key", "k-1"));
  EXPECT_EQ(call.read_timeout, std::chrono::milliseconds(2500));
  a.config.erase("timeout_ms");
  EXPECT_EQ(webhook_call(a, j).read_timeout, std::chrono::seconds(10));
}

TEST(WebhookOutcome, RetryAfterForms) {
  EXPECT_EQ(retry_after_ms(""), 0u);
  EXPECT_EQ(retry_after_ms("0"), 0u);
  EXPECT_EQ(retry_after_ms("120"), 120000u);
  EXPECT_EQ(retry_after_ms("soon"), 0u);
  EXPECT_EQ(retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT"), 0u); // past
  EXPECT_GT(retry_after_ms("Fri, 01 Jan 2100 00:00:00 GMT"), 0u);
}

TEST(JobRetention, DropsOnlyFinishedJobsPastRetention) {
  auto filters = job_retention(60'000);
  auto now = clock::now_ms();
  auto j = sample();
  j.state = job_state::succeeded;
  j.finish_ms = now - 120'000;
  EXPECT_TRUE(filters.jobs("k", encode(j)));
  j.finish_ms = now - 1'000;
  EXPECT_FALSE(filters.jobs("k", encode(j)));
  j.state = job_state::queued; // never dropped, however old
  j.finish_ms = 0;
  j.create_ms = 1;
  EXPECT_FALSE(filters.jobs("k", encode(j)));
  EXPECT_FALSE(filters.jobs("k", "garbage"));
  auto old = store::keys::idempotency_value(now - 25ull * 3600 * 1000, "n1-x");
  auto fresh = store::keys::idempotency_value(now - 1000, "n1-x");
  EXPECT_TRUE(filters.idempotency("k", old));
  EXPECT_FALSE(filters.idempotency("k", fresh));
}

TEST(JobRetention, DropsOnlyDoneCallbacksPastRetention) {
  auto filters = job_retention(60'000);
  auto now = clock::now_ms();
  callback_status done{"http://x/", "delivered", 1, {}, now - 120'000};
  EXPECT_TRUE(filters.callbacks("k", callback_value(done)));
  done.done_ms = now - 1'000;
  EXPECT_FALSE(filters.callbacks("k", callback_value(done)));
  EXPECT_FALSE(filters.callbacks("k", "")); // pending: kept until it ends
}

TEST(CallbackValue, ReadsBackWhatWasStored) {
  callback_status done{"", "failed", 3, "HTTP 404", 42};
  auto back = read_callback("http://x/cb", callback_value(done));
  EXPECT_EQ(back.url, "http://x/cb");
  EXPECT_EQ(back.state, "failed");
  EXPECT_EQ(back.attempts, 3u);
  EXPECT_EQ(back.last_error, "HTTP 404");
  EXPECT_EQ(back.done_ms, 42u);
  EXPECT_EQ(read_callback("u", "").state, "pending");
  // Unreadable but not empty: done, so never sent again.
  EXPECT_EQ(read_callback("u", "garbage").state, "failed");
}
