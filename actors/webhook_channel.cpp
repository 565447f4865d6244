#include "actors/webhook_channel.hpp"

#include "actors/job_view.hpp"

namespace ns {

http_call webhook_call(const adapter_record& adapter, const job_record& job) {
  const auto& config = adapter.config;
  http_call call;
  call.url = text_of({}, config, "url");
  if (auto* hs = config.if_contains("headers"); hs && hs->is_object())
    for (auto& [k, v] : hs->get_object())
      if (v.is_string())
        call.headers.emplace_back(std::string{k}, std::string{v.get_string()});
  call.headers.emplace_back("X-NS-Job-Id", job.id);
  call.headers.emplace_back("X-NS-Attempt", std::to_string(job.attempts));
  if (!job.idempotency_key.empty())
    call.headers.emplace_back("Idempotency-Key", job.idempotency_key);
  call.read_timeout = call_timeout(config, std::chrono::seconds(10));
  call.body = delivery_json(job);
  return call;
}

attempt_result classify(const http_outcome& out) {
  if (out.status == 0)
    return transport_failure(out);
  if (out.status >= 200 && out.status < 300)
    return succeeded();
  auto message = "HTTP " + std::to_string(out.status);
  if (!out.body.empty())
    message += ": " + excerpt(out.body);
  return status_failure(out, std::move(message));
}

send_fn webhook_sender(outbound_http* http) {
  return [http](const adapter_entry& entry, const job_record& job,
                std::function<void(attempt_result)> done) {
    http->send(webhook_call(entry.rec, job),
               [done = std::move(done)](http_outcome out) {
                 done(classify(out));
               });
  };
}

} // namespace ns
