#include "net/batch_answer.hpp"

#include <string_view>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include "actors/clock.hpp"
#include "net/http_errors.hpp"

namespace ns::net {

namespace {

/// Appends `text` as a JSON string. Ids and states are plain ASCII made by
/// ns; anything else takes Boost.JSON's escaping so that the bytes stay those
/// of the serialized tree.
void append_string(std::string& out, std::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) {
      out += boost::json::serialize(boost::json::string{text});
      return;
    }
  }
  out += '"';
  out += text;
  out += '"';
}

/// RFC 3339 text of one instant; the jobs of a batch share their create and
/// expire times to the millisecond, so the last one is kept.
class time_text {
public:
  const std::string& operator()(uint64_t ms) {
    if (ms != ms_ || text_.empty()) {
      ms_ = ms;
      text_ = clock::rfc3339(ms);
    }
    return text_;
  }

private:
  uint64_t ms_ = 0;
  std::string text_;
};

/// One accepted job's object; `scheduled` empty when it is not scheduled.
void append_accepted(std::string& out, std::string_view id, job_state state,
                     std::string_view created, std::string_view expires,
                     std::string_view scheduled) {
  out += R"({"job_id":)";
  append_string(out, id);
  out += R"(,"state":)";
  append_string(out, to_string(state));
  out += R"(,"create_time":")";
  out += created;
  out += R"(","expire_time":")";
  out += expires;
  out += '"';
  if (!scheduled.empty()) {
    out += R"(,"scheduled_at":")";
    out += scheduled;
    out += '"';
  }
  out += '}';
}

} // namespace

std::string accepted_body(const job_record& job) {
  std::string out;
  out.reserve(160);
  append_accepted(out, job.id, job.state, clock::rfc3339(job.create_ms),
                  clock::rfc3339(job.expire_ms),
                  job.scheduled_ms != 0 ? clock::rfc3339(job.scheduled_ms)
                                        : std::string{});
  return out;
}

batch_result batch_accepted(job_record&& job) {
  batch_result out;
  out.job_id = std::move(job.id);
  out.state = job.state;
  out.create_ms = job.create_ms;
  out.expire_ms = job.expire_ms;
  out.scheduled_ms = job.scheduled_ms;
  return out;
}

std::string batch_answer_body(const std::vector<batch_result>& results) {
  std::string out;
  // An accepted entry is ~140 bytes with a short node id.
  out.reserve(16 + results.size() * 160);
  out += R"({"results":[)";
  time_text created;
  time_text expires;
  time_text scheduled;
  bool first = true;
  for (auto& r : results) {
    if (!first)
      out += ',';
    first = false;
    if (r.error) {
      out += R"({"error":)";
      out += boost::json::serialize(error_json(r.error));
      out += '}';
      continue;
    }
    append_accepted(
      out, r.job_id, r.state, created(r.create_ms), expires(r.expire_ms),
      r.scheduled_ms != 0 ? scheduled(r.scheduled_ms) : std::string_view{});
  }
  out += "]}";
  return out;
}

} // namespace ns::net
