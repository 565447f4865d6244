// What the HTTP edge does with a POST /v1/jobs body before anything is
// written: parse and type-check it (net/job_input), then check its params
// against the adapter's compiled schema (actors/schema, as job_ingest does).

#include <benchmark/benchmark.h>
#include <boost/json/parse.hpp>

#include "actors/schema.hpp"
#include "bench/micro/fixtures.hpp"
#include "config/error.hpp"
#include "net/job_input.hpp"

namespace {

using namespace ns;

std::shared_ptr<const params_schema> compiled_schema() {
  auto res
    = params_schema::compile(boost::json::parse(bench::job_params_schema));
  return res ? *res : nullptr;
}

void per_body(benchmark::State& state) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(
    static_cast<int64_t>(state.iterations() * bench::job_body.size()));
}

void BM_ParseJob(benchmark::State& state) {
  for (auto _ : state) {
    auto sub = net::parse_job(bench::job_body, {}, {});
    if (!sub) {
      state.SkipWithError(message_of(sub.error()).c_str());
      break;
    }
    benchmark::DoNotOptimize(sub);
  }
  per_body(state);
}
BENCHMARK(BM_ParseJob);

void BM_CheckParams(benchmark::State& state) {
  auto schema = compiled_schema();
  auto sub = net::parse_job(bench::job_body, {}, {});
  if (!schema || !sub) {
    state.SkipWithError("fixture does not parse");
    return;
  }
  for (auto _ : state) {
    auto violations = schema->check(sub->params);
    if (!violations.empty()) {
      state.SkipWithError(violations.front().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(violations);
  }
  per_body(state);
}
BENCHMARK(BM_CheckParams);

// The two together: the CPU the edge spends per accepted body before the
// group commit.
void BM_ParseAndCheckJob(benchmark::State& state) {
  auto schema = compiled_schema();
  if (!schema) {
    state.SkipWithError("schema does not compile");
    return;
  }
  for (auto _ : state) {
    auto sub = net::parse_job(bench::job_body, {}, {});
    if (!sub) {
      state.SkipWithError(message_of(sub.error()).c_str());
      break;
    }
    auto violations = schema->check(sub->params);
    if (!violations.empty()) {
      state.SkipWithError(violations.front().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(sub);
  }
  per_body(state);
}
BENCHMARK(BM_ParseAndCheckJob);

// POST /v1/jobs/batch with 1000 typical jobs: parse them all, then check
// each one's params as job_ingest does. Items per second are jobs.
void BM_ParseAndCheckBatch(benchmark::State& state) {
  auto schema = compiled_schema();
  if (!schema) {
    state.SkipWithError("schema does not compile");
    return;
  }
  std::string body = R"({"jobs":[)";
  for (int i = 0; i < 1000; ++i) {
    if (i > 0)
      body += ',';
    body += bench::job_body;
  }
  body += "]}";
  for (auto _ : state) {
    auto items = net::parse_job_batch(body, {});
    if (!items) {
      state.SkipWithError(message_of(items.error()).c_str());
      break;
    }
    for (auto& item : *items) {
      if (!item || !schema->check(item->params).empty()) {
        state.SkipWithError("a typical job was rejected");
        return;
      }
    }
    benchmark::DoNotOptimize(items);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 1000);
}
BENCHMARK(BM_ParseAndCheckBatch);

// A job whose params object has N keys (and, inside, an array of N small
// objects): the cost of parse_job on wide bodies, where the check for
// repeated keys compares pairwise up to 16 keys and sorts above.
void BM_ParseJobWideParams(benchmark::State& state) {
  auto n = static_cast<int>(state.range(0));
  std::string body = R"({"adapter":"hook","params":{)";
  for (int i = 0; i < n; ++i)
    body += "\"field_" + std::to_string(i) + "\":\"value\",";
  body += R"("list":[)";
  for (int i = 0; i < n; ++i)
    body += std::string{i > 0 ? "," : ""} + R"({"id":1,"name":"x","on":true})";
  body += "]}}";
  for (auto _ : state) {
    auto sub = net::parse_job(body, {}, {});
    if (!sub) {
      state.SkipWithError(message_of(sub.error()).c_str());
      break;
    }
    benchmark::DoNotOptimize(sub);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(
    static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_ParseJobWideParams)->Arg(4)->Arg(16)->Arg(17)->Arg(256);

// A body that breaks the schema twice: the cost of building the 422 details.
void BM_CheckParamsRejects(benchmark::State& state) {
  auto schema = compiled_schema();
  if (!schema) {
    state.SkipWithError("schema does not compile");
    return;
  }
  auto bad = boost::json::parse(
    R"({"to":"a","subject":"Hi","name":"Al","vars":{"seats":0}})");
  for (auto _ : state) {
    auto violations = schema->check(bad);
    if (violations.empty()) {
      state.SkipWithError("the bad params passed");
      break;
    }
    benchmark::DoNotOptimize(violations);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_CheckParamsRejects);

} // namespace
