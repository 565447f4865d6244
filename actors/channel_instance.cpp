#include "actors/channel_instance.hpp"

#include <caf/send.hpp>

#include "actors/clock.hpp"

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

/// One unit of credit came back (a job finished or could not be taken).
void credit_back(self_ptr self) {
  self->state.granted -= 1;
  top_up(self);
}

void deliver(self_ptr self, const caf::actor& raw, const job_record& rec) {
  auto& st = self->state;
  if (clock::now_ms() >= rec.expire_ms) {
    attempt_result res;
    res.outcome = attempt_result::kind::not_sent;
    res.message = "refused: past expire_time";
    self->send(caf::actor_cast<job_actor>(raw), res);
    credit_back(self);
    return;
  }
  auto hdl = caf::actor_cast<caf::actor>(self);
  st.send(*st.entry, rec, [hdl, raw](attempt_result res) {
    caf::anon_send(hdl, raw, std::move(res));
  });
}

} // namespace

caf::behavior channel_instance(self_ptr self, adapter_actor adapter,
                               std::shared_ptr<const adapter_entry> entry,
                               std::shared_ptr<const job_context> ctx,
                               send_fn send) {
  auto& st = self->state;
  st.adapter = std::move(adapter);
  st.entry = std::move(entry);
  st.ctx = std::move(ctx);
  st.send = std::move(send);
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
