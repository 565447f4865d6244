#include "actors/job_view.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "actors/clock.hpp"
#include "config/json_limits.hpp"

namespace ns {

namespace json = boost::json;

namespace {

json::value time_or_null(uint64_t ms) {
  return ms == 0 ? json::value(nullptr) : json::value(clock::rfc3339(ms));
}

json::value params_of(const job_record& job) {
  boost::system::error_code err;
  auto v = json::parse(job.params, err, {}, stored_json_options());
  return err ? json::value(json::object{}) : v;
}

} // namespace

json::object job_json(const job_record& job) {
  json::object o;
  o["job_id"] = job.id;
  o["adapter"] = job.adapter;
  o["state"] = to_string(job.state);
  o["priority"] = to_string(job.priority);
  o["params"] = params_of(job);
  o["attempts"] = job.attempts;
  o["create_time"] = time_or_null(job.create_ms);
  o["expire_time"] = time_or_null(job.expire_ms);
  o["scheduled_at"] = time_or_null(job.scheduled_ms);
  o["start_time"] = time_or_null(job.start_ms);
  o["finish_time"] = time_or_null(job.finish_ms);
  o["last_error"] = job.last_error.empty() ? json::value(nullptr)
                                           : json::value(job.last_error);
  if (!job.idempotency_key.empty())
    o["idempotency_key"] = job.idempotency_key;
  return o;
}

json::array callbacks_json(const std::vector<callback_status>& cbs) {
  json::array out;
  for (auto& c : cbs)
    out.push_back(
      json::object{{"url", c.url},
                   {"state", c.state},
                   {"attempts", c.attempts},
                   {"last_error",
                    c.last_error.empty() ? json::value(nullptr)
                                         : json::value(c.last_error)}});
  return out;
}

std::string delivery_json(const job_record& job) {
  // Params are spliced in as validated text: no re-serialization per attempt.
  json::object head;
  head["job_id"] = job.id;
  head["idempotency_key"] = job.idempotency_key.empty()
    ? json::value(nullptr)
    : json::value(job.idempotency_key);
  head["attempt"] = job.attempts;
  head["priority"] = to_string(job.priority);
  head["create_time"] = clock::rfc3339(job.create_ms);
  head["expire_time"] = clock::rfc3339(job.expire_ms);
  auto text = json::serialize(head);
  text.pop_back(); // the closing brace
  text += ",\"params\":";
  text += job.params.empty() ? std::string{"{}"} : job.params;
  text += '}';
  return text;
}

} // namespace ns
