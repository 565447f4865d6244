#include "actors/callback_actor.hpp"

#include <boost/json/serialize.hpp>
#include <caf/send.hpp>

#include "actors/credentials.hpp"
#include "actors/job_view.hpp"
#include "config/log.hpp"
#include "store/keys.hpp"

namespace ns {

namespace {

using self_ptr = caf::stateful_actor<callback_state>*;

void forget(self_ptr self) {
  auto& st = self->state;
  store::write_batch batch;
  batch.erase(store::cf::callbacks, store::keys::callback(st.job_id, st.url));
  // Losing this erase only means one more delivery after a restart.
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
    forget(self);
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
        forget(self);
        return;
      }
      auto why = status != 0 ? "HTTP " + std::to_string(status) : error;
      // Same rule as deliveries: only 408, 429, 5xx and transport errors
      // are worth another try.
      if (permanent
          || (status != 0 && status != 408 && status != 429 && status < 500)) {
        log::warning() << "callback for job " << st.job_id << " to " << st.url
                       << " failed for good: " << why;
        forget(self);
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
              forget(self);
              return;
            }
            self->delayed_send(self, std::chrono::milliseconds(d.delay_ms),
                               atom::retry::value);
          },
          [self](const caf::error&) {
            forget(self);
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

} // namespace ns
