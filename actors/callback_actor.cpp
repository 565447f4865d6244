#include "actors/callback_actor.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <caf/send.hpp>

#include "actors/clock.hpp"
#include "actors/credentials.hpp"
#include "actors/job_view.hpp"
#include "config/log.hpp"
#include "store/keys.hpp"

namespace ns {

namespace {

using self_ptr = caf::stateful_actor<callback_state>*;

/// Records the outcome for GET and so that a restart does not send it again.
void finish(self_ptr self, std::string state, std::string error = {}) {
  auto& st = self->state;
  callback_status done{st.url, std::move(state), st.attempts, std::move(error),
                       clock::now_ms()};
  store::write_batch batch;
  batch.put(store::cf::callbacks, store::keys::callback(st.job_id, st.url),
            callback_value(done));
  // Losing this write only means one more delivery after a restart.
  (void)st.ctx->commit->submit(std::move(batch), [](const caf::error&) {});
  self->quit();
}

void attempt(self_ptr self) {
  auto& st = self->state;
  auto snap = st.ctx->view->get();
  auto* client = snap->client(st.client_id);
  if (client == nullptr) {
    log::info() << "callback for job " << st.job_id << " dropped: client "
                << st.client_id << " no longer exists";
    finish(self, "failed", "client " + st.client_id + " no longer exists");
    return;
  }
  st.attempts += 1;
  http_call call;
  call.url = st.url;
  call.origin = url_origin::client;
  call.body = st.body;
  call.headers.emplace_back(
    "X-NS-Signature",
    "sha256=" + credentials::hmac_sha256_hex(client->signing_secret, st.body));
  call.headers.emplace_back("X-NS-Job-Id", st.job_id);
  call.read_timeout = std::chrono::seconds(10);
  auto hdl = caf::actor_cast<caf::actor>(self);
  st.ctx->http->send(std::move(call), [hdl](http_outcome out) {
    caf::anon_send(hdl, atom::attempt::value, out.status, out.permanent,
                   out.error);
  });
}

} // namespace

caf::behavior callback(self_ptr self, std::shared_ptr<const job_context> ctx,
                       std::string job_id, std::string client_id,
                       std::string url, std::string body) {
  auto& st = self->state;
  st.ctx = std::move(ctx);
  st.job_id = std::move(job_id);
  st.client_id = std::move(client_id);
  st.url = std::move(url);
  st.body = std::move(body);
  attempt(self);
  return {
    [self](atom::attempt, unsigned status, bool permanent,
           const std::string& error) {
      auto& st = self->state;
      if (status >= 200 && status < 300) {
        finish(self, "delivered");
        return;
      }
      auto why = status != 0 ? "HTTP " + std::to_string(status) : error;
      // Same rule as deliveries: only 408, 429, 5xx and transport errors
      // are worth another try.
      if (permanent
          || (status != 0 && status != 408 && status != 429 && status < 500)) {
        log::warning() << "callback for job " << st.job_id << " to " << st.url
                       << " failed for good: " << why;
        finish(self, "failed", why);
        return;
      }
      self
        ->request(st.ctx->repeater, caf::infinite,
                  retry_request{st.attempts, st.ctx->callback_retry, 0})
        .then(
          [self, why](const retry_decision& d) {
            if (!d.retry) {
              log::warning() << "callback for job " << self->state.job_id
                             << " to " << self->state.url << " given up after "
                             << self->state.attempts << " attempts: " << why;
              finish(self, "failed", why);
              return;
            }
            self->delayed_send(self, std::chrono::milliseconds(d.delay_ms),
                               atom::retry::value);
          },
          [self, why](const caf::error&) {
            finish(self, "failed", why);
          });
    },
    [self](atom::retry) {
      attempt(self);
    },
  };
}

std::string callback_body(const job_record& job) {
  return boost::json::serialize(job_json(job));
}

std::string callback_value(const callback_status& done) {
  boost::json::object o{{"state", done.state},
                        {"attempts", done.attempts},
                        {"last_error", done.last_error},
                        {"done_ms", done.done_ms}};
  return boost::json::serialize(o);
}

callback_status read_callback(std::string_view url, std::string_view value) {
  callback_status out;
  out.url = std::string{url};
  if (value.empty())
    return out;
  // Not empty means done, even if unreadable: never sent twice.
  out.state = "failed";
  boost::system::error_code err;
  auto v = boost::json::parse(value, err);
  auto* o = err ? nullptr : v.if_object();
  if (o == nullptr)
    return out;
  if (auto* s = o->if_contains("state"); s && s->is_string())
    out.state = std::string{s->get_string()};
  if (auto* n = o->if_contains("attempts"); n && n->is_int64())
    out.attempts = static_cast<uint32_t>(n->get_int64());
  if (auto* e = o->if_contains("last_error"); e && e->is_string())
    out.last_error = std::string{e->get_string()};
  if (auto* t = o->if_contains("done_ms"); t && t->is_int64())
    out.done_ms = static_cast<uint64_t>(t->get_int64());
  return out;
}

} // namespace ns
