#include "actors/channel_instance.hpp"

#include <boost/json/parse.hpp>
#include <caf/send.hpp>

#include "actors/clock.hpp"
#include "actors/templates.hpp"
#include "config/error.hpp"

namespace ns {

namespace {

using self_ptr = caf::stateful_actor<channel_state>*;

/// Grants or withholds credit so that granted == channel_concurrency.
void top_up(self_ptr self) {
  auto& st = self->state;
  auto want = channel_concurrency(st.entry->rec);
  if (st.granted < want) {
    self->send(st.adapter,
               want_work{caf::actor_cast<caf::actor>(self), want - st.granted});
    st.granted = want;
  }
}

void credit_back(self_ptr self) {
  self->state.granted -= 1;
  top_up(self);
}

void deliver(self_ptr self, const caf::actor& raw, const job_record& rec) {
  auto& st = self->state;
  auto job = caf::actor_cast<job_actor>(raw);
  if (clock::now_ms() >= rec.expire_ms) {
    attempt_result res;
    res.outcome = attempt_result::kind::not_sent;
    res.message = "refused: past expire_time";
    self->send(job, res);
    credit_back(self);
    return;
  }
  auto params = delivery_params(*st.entry, rec);
  if (!params) {
    self->send(job, failed(message_of(params.error())));
    credit_back(self);
    return;
  }
  auto hdl = caf::actor_cast<caf::actor>(self);
  st.deliver(st.entry->rec, *params, rec, [hdl, raw](attempt_result res) {
    caf::anon_send(hdl, raw, std::move(res));
  });
}

} // namespace

caf::expected<boost::json::object> delivery_params(const adapter_entry& entry,
                                                   const job_record& job) {
  boost::system::error_code err;
  auto doc = boost::json::parse(job.params, err);
  if (err || !doc.is_object())
    return make_error(ec::invalid_params, "params are not a JSON object");
  auto& params = doc.get_object();
  if (!uses_template(params))
    return std::move(params);
  auto rendered = render_params(entry.rec, entry.templates.get(), params);
  if (!rendered)
    return rendered.error();
  return std::move(rendered->params);
}

caf::behavior channel_instance(self_ptr self, adapter_actor adapter,
                               std::shared_ptr<const adapter_entry> entry,
                               std::shared_ptr<const job_context> ctx,
                               deliver_fn deliver_with) {
  auto& st = self->state;
  st.adapter = std::move(adapter);
  st.entry = std::move(entry);
  st.ctx = std::move(ctx);
  st.deliver = std::move(deliver_with);
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
          [self, raw = w.job](const job_record& rec) {
            deliver(self, raw, rec);
          },
          [self](const caf::error&) {
            // Canceled, expired or gone while queued: nothing to send.
            credit_back(self);
          });
    },
    [self](const caf::actor& job, attempt_result& res) {
      self->send(caf::actor_cast<job_actor>(job), std::move(res));
      credit_back(self);
    },
    [](const cancel_attempt&) {
      // The message went out when the job was taken: its outcome will tell.
    },
    [self](const adapter_changed& change) {
      if (!change.entry)
        return;
      self->state.entry = change.entry;
      top_up(self);
    },
  };
}

} // namespace ns
