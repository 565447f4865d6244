// The CPU of the accept path up to the group commit, in the order a POST
// /v1/jobs runs it: parse the body (net/job_input), look the adapter up in the
// registry snapshot, check the params against its schema, make the job id,
// encode the record and build the write (actors/job_ingest). Mirrors
// job_ingest::submit without the commit; keep the two in step. Its rate is the
// ceiling one core could accept if nothing else cost anything.

#include <benchmark/benchmark.h>
#include <boost/json/parse.hpp>

#include "actors/registry.hpp"
#include "actors/schema.hpp"
#include "bench/micro/fixtures.hpp"
#include "config/error.hpp"
#include "net/job_input.hpp"
#include "store/db.hpp"
#include "store/keys.hpp"

namespace {

using namespace ns;

void BM_AcceptPathCpu(benchmark::State& state) {
  auto schema
    = params_schema::compile(boost::json::parse(bench::job_params_schema));
  if (!schema) {
    state.SkipWithError("schema does not compile");
    return;
  }
  adapter_record rec;
  rec.name = "welcome-email";
  auto snap = std::make_shared<registry_snapshot>();
  snap->put(std::make_shared<const adapter_entry>(
    adapter_entry{rec, *schema, nullptr}));
  registry_view view;
  view.publish(snap);
  client_record client;
  client.id = "cl_01J9Z3K4M5N6P7Q8R9S0";
  client.adapters.names = {"sms", "welcome-email"};
  for (auto _ : state) {
    auto sub = net::parse_job(bench::job_body, {}, {});
    if (!sub) {
      state.SkipWithError(message_of(sub.error()).c_str());
      break;
    }
    auto current = view.get();
    auto* entry = current->adapter(sub->adapter);
    if (entry == nullptr || !client.adapters.allows(sub->adapter)
        || !entry->schema->check(sub->params).empty()) {
      state.SkipWithError("the typical job was rejected");
      break;
    }
    auto now = clock::now_ms();
    job_record job;
    job.expire_ms = now + *sub->ttl_s * 1000;
    job.id = new_job_id("node-1");
    job.client_id = client.id;
    job.adapter = std::move(sub->adapter);
    job.params = std::move(sub->params_text);
    job.callback_url = std::move(sub->callback_url);
    job.priority = sub->priority;
    job.create_ms = now;
    store::write_batch batch;
    batch.put(store::cf::jobs, store::keys::job(job.id), encode(job));
    batch.put(store::cf::active,
              store::keys::active(static_cast<uint8_t>(job.priority), job.id),
              {});
    batch.put(store::cf::due, store::keys::due(job.expire_ms, job.id), {});
    batch.put(store::cf::callbacks,
              store::keys::callback(job.id, job.callback_url), {});
    benchmark::DoNotOptimize(batch);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(
    static_cast<int64_t>(state.iterations() * bench::job_body.size()));
}
BENCHMARK(BM_AcceptPathCpu);

} // namespace
