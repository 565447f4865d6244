#include "actors/webhook_instance.hpp"

#include <charconv>
#include <ctime>

#include <caf/send.hpp>

#include "actors/clock.hpp"
#include "actors/job_view.hpp"

namespace ns {

namespace {

using self_ptr = caf::stateful_actor<webhook_state>*;

/// Grants or withholds credit so that granted == concurrency.
void top_up(self_ptr self) {
  auto& st = self->state;
  auto want = st.entry->rec.concurrency;
  if (st.granted < want) {
    self->send(st.adapter, want_work{caf::actor_cast<caf::actor>(self),
                                     want - st.granted});
    st.granted = want;
  }
}

/// One unit of credit came back (a job finished or could not be taken).
void credit_back(self_ptr self) {
  auto& st = self->state;
  st.granted -= 1;
  top_up(self);
}

http_call make_call(const adapter_record& rec, const job_record& job) {
  http_call call;
  if (auto* url = rec.config.if_contains("url"); url && url->is_string())
    call.url = std::string{url->get_string()};
  if (auto* hs = rec.config.if_contains("headers"); hs && hs->is_object())
    for (auto& [k, v] : hs->get_object())
      if (v.is_string())
        call.headers.emplace_back(std::string{k},
                                  std::string{v.get_string()});
  call.headers.emplace_back("X-NS-Job-Id", job.id);
  call.headers.emplace_back("X-NS-Attempt", std::to_string(job.attempts));
  if (!job.idempotency_key.empty())
    call.headers.emplace_back("Idempotency-Key", job.idempotency_key);
  if (auto* t = rec.config.if_contains("timeout_ms"); t && t->is_int64()
                                                      && t->get_int64() > 0)
    call.read_timeout = std::chrono::milliseconds(t->get_int64());
  else
    call.read_timeout = std::chrono::seconds(10);
  call.body = delivery_json(job);
  return call;
}

} // namespace

uint64_t retry_after_ms(const std::string& header) {
  if (header.empty())
    return 0;
  uint64_t secs = 0;
  auto [ptr, err] = std::from_chars(header.data(),
                                    header.data() + header.size(), secs);
  if (err == std::errc{} && ptr == header.data() + header.size())
    return std::min<uint64_t>(secs, 24 * 3600) * 1000;
  // An HTTP date: "Wed, 21 Oct 2015 07:28:00 GMT".
  std::tm tm{};
  if (strptime(header.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) == nullptr)
    return 0;
  auto at = static_cast<uint64_t>(timegm(&tm)) * 1000;
  auto now = clock::now_ms();
  return at > now ? std::min<uint64_t>(at - now, 24ull * 3600 * 1000) : 0;
}

attempt_result classify(const http_outcome& out) {
  attempt_result res;
  if (out.status >= 200 && out.status < 300) {
    res.outcome = attempt_result::kind::succeeded;
    return res;
  }
  res.outcome = attempt_result::kind::failed;
  if (out.status == 0) {
    // Nothing reached the receiver (refused, DNS, TLS handshake): a cancel
    // asked meanwhile can still win.
    if (out.not_sent)
      res.outcome = attempt_result::kind::not_sent;
    res.retryable = !out.permanent;
    res.message = out.error;
    return res;
  }
  res.message = "HTTP " + std::to_string(out.status);
  if (!out.body.empty())
    res.message += ": " + out.body.substr(0, 200);
  res.retryable = out.status == 408 || out.status == 429 || out.status >= 500;
  if (res.retryable)
    res.retry_after_ms = retry_after_ms(out.retry_after);
  return res;
}

caf::behavior webhook_instance(self_ptr self, adapter_actor adapter,
                               std::shared_ptr<const adapter_entry> entry,
                               std::shared_ptr<const job_context> ctx) {
  auto& st = self->state;
  st.adapter = std::move(adapter);
  st.entry = std::move(entry);
  st.ctx = std::move(ctx);
  top_up(self);
  return {
    [self](const work_item& w) {
      auto job = caf::actor_cast<job_actor>(w.job);
      auto me = caf::actor_cast<caf::actor>(self);
      // No timeout: a job actor answers take_job at once, and a gone one is
      // answered by CAF with an error; a timeout would cost a clock-thread
      // timer per delivery.
      self->request(job, caf::infinite, take_job{me})
        .then(
          [self, job, raw = w.job](const job_record& rec) {
            auto& st = self->state;
            if (clock::now_ms() >= rec.expire_ms) {
              attempt_result res;
              res.outcome = attempt_result::kind::not_sent;
              res.message = "refused: past expire_time";
              self->send(job, res);
              credit_back(self);
              return;
            }
            st.in_flight += 1;
            auto hdl = caf::actor_cast<caf::actor>(self);
            st.ctx->http->send(make_call(st.entry->rec, rec),
                               [hdl, raw](http_outcome out) {
                                 caf::anon_send(hdl, raw, std::move(out));
                               });
          },
          [self](const caf::error&) {
            // Canceled, expired or gone while queued: nothing to send.
            credit_back(self);
          });
    },
    [self](const caf::actor& job, const http_outcome& out) {
      self->state.in_flight -= 1;
      self->send(caf::actor_cast<job_actor>(job), classify(out));
      credit_back(self);
    },
    [](const cancel_attempt&) {
      // The call went out when the job was taken: its real outcome will tell.
    },
    [self](const adapter_changed& change) {
      auto& st = self->state;
      if (!change.entry)
        return;
      st.entry = change.entry;
      top_up(self);
    },
  };
}

} // namespace ns
