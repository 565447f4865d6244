#include "actors/job_actor.hpp"

#include <algorithm>
#include <limits>

#include <caf/send.hpp>

#include "actors/clock.hpp"
#include "config/error.hpp"
#include "config/log.hpp"
#include "config/log_throttle.hpp"
#include "store/keys.hpp"

namespace ns {

namespace {

using self_ptr = job_actor::stateful_pointer<job_actor_state>;

constexpr auto persist_retry = std::chrono::milliseconds(100);

std::chrono::milliseconds until(uint64_t at_ms) {
  auto now = clock::now_ms();
  return std::chrono::milliseconds(at_ms > now ? at_ms - now : 0);
}

/// Writes the job as it is now. The final write is awaited: the actor quits
/// only once its final state is durable.
void persist(self_ptr self) {
  auto& st = self->state;
  store::write_batch batch;
  auto id = st.job.id();
  batch.put(store::cf::jobs, store::keys::job(id), encode(st.job));
  if (is_final(st.job.state)) {
    batch.erase(store::cf::active,
                store::keys::active(static_cast<uint8_t>(st.job.priority), id));
    batch.erase(store::cf::due, store::keys::due(st.job.expire_ms, id));
  }
  auto no = ++st.writes_issued;
  auto hdl = caf::actor_cast<job_actor>(self);
  // Only two writes are waited for: the final one (the actor quits once it
  // is durable) and a cancel's (its answer says durable). Writes land in
  // order, so their notice covers every earlier write; the others (running,
  // retrying, queued again) are told only when they fail, which saves the
  // commit thread a message to a job actor per delivery.
  auto awaited = is_final(st.job.state) || st.job.state == job_state::canceling;
  auto queued = st.ctx->commit->submit(
    std::move(batch), [hdl, no, awaited](const caf::error& err) {
      // 0 asks the actor to write again.
      if (err || awaited)
        caf::anon_send(hdl, job_event{job_signal::persisted, err ? 0 : no});
    });
  if (!queued)
    self->delayed_send(self, persist_retry,
                       job_event{job_signal::persisted, 0});
}

void change(self_ptr self, job_state to, std::string error = {}) {
  auto& job = self->state.job;
  auto from = job.state;
  job.state = to;
  if (!error.empty())
    job.set_last_error(error);
  if (is_final(to))
    job.finish_ms = clock::now_ms();
  if (to != job_state::retrying)
    job.retry_at_ms = 0;
  self->send(self->state.ctx->manager,
             job_transition{std::string{job.adapter()}, from, to});
  persist(self);
}

void enqueue(self_ptr self) {
  auto& st = self->state;
  self->send(
    st.adapter,
    enqueue_job{caf::actor_cast<caf::actor>(self), st.job.priority, st.seq});
}

bool past_expiry(const resident_job& job) {
  return clock::now_ms() >= job.expire_ms;
}

/// Scheduled, queued and retrying jobs may still expire or be canceled at
/// once; running ones wait for their instance.
bool waiting(job_state s) {
  return s == job_state::scheduled || s == job_state::queued
    || s == job_state::retrying;
}

void on_failure(self_ptr self, const attempt_result& res) {
  auto& job = self->state.job;
  if (!res.retryable) {
    change(self, job_state::failed, res.message);
    return;
  }
  if (past_expiry(job)) {
    change(self, job_state::expired,
           "expired after attempt " + std::to_string(job.attempts) + ": "
             + res.message);
    return;
  }
  auto entry = self->state.ctx->view->get()->adapter(job.adapter());
  auto policy = entry != nullptr ? entry->rec.retry : retry_policy{};
  job.set_last_error(res.message);
  self
    ->request(self->state.ctx->repeater, caf::infinite,
              retry_request{job.attempts, policy, res.retry_after_ms})
    .then(
      [self](const retry_decision& d) {
        auto& job = self->state.job;
        if (job.state == job_state::canceling) {
          // Canceled while we asked: no further attempt.
          change(self, job_state::canceled,
                 "canceled; last attempt failed: "
                   + std::string{job.last_error()});
          return;
        }
        if (job.state != job_state::running)
          return;
        if (!d.retry) {
          change(self, job_state::failed,
                 "gave up after " + std::to_string(job.attempts)
                   + " attempts: " + std::string{job.last_error()});
          return;
        }
        job.retry_at_ms = clock::now_ms() + d.delay_ms;
        change(self, job_state::retrying);
        self->delayed_send(self, std::chrono::milliseconds(d.delay_ms),
                           job_event{job_signal::retry});
      },
      [self](const caf::error& err) {
        change(self, job_state::failed,
               "repeater unavailable: " + message_of(err));
      });
}

/// Stops watching the instance that held the job (monitors would pile up on a
/// long-lived instance otherwise).
void forget_instance(self_ptr self) {
  auto& st = self->state;
  if (st.instance)
    self->demonitor(st.instance);
  st.instance = nullptr;
}

/// The instance holding the job is gone without a result: nobody knows whether
/// the attempt reached the channel, so it is delivered again (same id and
/// idempotency key), unless the client canceled meanwhile.
void instance_lost(self_ptr self) {
  auto& job = self->state.job;
  self->state.instance = nullptr;
  if (job.state == job_state::canceling) {
    change(self, job_state::canceled,
           "canceled; outcome of the last attempt unknown (the adapter "
           "instance was lost)");
    return;
  }
  if (job.state != job_state::running)
    return;
  if (past_expiry(job)) {
    change(self, job_state::expired,
           "the adapter instance was lost after expire_time");
    return;
  }
  change(self, job_state::queued,
         "the adapter instance was lost; delivered again");
  enqueue(self);
}

/// Brings a job loaded from the store (or just accepted) to a consistent,
/// waiting state and arms its wake or retry timer. `queued`: the manager
/// queued it at the adapter already.
void start(self_ptr self, bool queued) {
  auto& job = self->state.job;
  if (job.state == job_state::running) {
    // Crashed while an attempt was out: deliver again (at least once).
    change(self, job_state::queued);
  } else if (job.state == job_state::canceling) {
    change(self, job_state::canceled,
           "canceled; outcome of the last attempt "
           "unknown after a restart");
    return;
  }
  if (past_expiry(job)) {
    change(self, job_state::expired, "not started before expire_time");
    return;
  }
  // No timer of its own for expiry: the manager walks the `due` index with
  // one timer for every job and sends `expire` when the instant has come.
  switch (job.state) {
    case job_state::scheduled:
      self->delayed_send(self, until(job.scheduled_ms),
                         job_event{job_signal::wake});
      break;
    case job_state::retrying:
      self->delayed_send(self, until(job.retry_at_ms),
                         job_event{job_signal::retry});
      break;
    case job_state::queued:
      if (!queued)
        enqueue(self);
      break;
    default: break;
  }
}

caf::result<job_record> take(self_ptr self, const take_job& req) {
  auto& job = self->state.job;
  if (job.state != job_state::queued)
    return make_error(ec::conflict,
                      "job is " + std::string{to_string(job.state)});
  if (past_expiry(job)) {
    change(self, job_state::expired, "not started before expire_time");
    return make_error(ec::conflict, "job expired");
  }
  job.attempts += 1;
  if (job.start_ms == 0)
    job.start_ms = clock::now_ms();
  self->state.instance = req.instance;
  self->monitor(req.instance);
  change(self, job_state::running);
  return job.record();
}

void on_result(self_ptr self, const attempt_result& res) {
  auto& job = self->state.job;
  if (job.state != job_state::running && job.state != job_state::canceling)
    return; // a late answer to an attempt that no longer counts
  forget_instance(self);
  auto canceling = job.state == job_state::canceling;
  switch (res.outcome) {
    case attempt_result::kind::succeeded:
      change(self, job_state::succeeded);
      return;
    case attempt_result::kind::not_sent:
      if (canceling)
        change(self, job_state::canceled, "canceled before it was sent");
      else if (past_expiry(job))
        change(self, job_state::expired, res.message);
      else
        on_failure(self, res); // retryable unless the instance said not
      return;
    case attempt_result::kind::failed:
      if (canceling && res.retryable)
        change(self, job_state::canceled,
               "canceled; last attempt failed: " + res.message);
      else
        on_failure(self, res);
      return;
  }
}

caf::result<job_record> cancel(self_ptr self) {
  auto& st = self->state;
  auto s = st.job.state;
  if (is_final(s))
    return make_error(ec::already_final,
                      "job is already " + std::string{to_string(s)});
  if (waiting(s)) {
    change(self, job_state::canceled, "canceled by the client");
  } else if (s == job_state::running) {
    change(self, job_state::canceling);
    if (st.instance)
      caf::anon_send(st.instance, cancel_attempt{std::string{st.job.id()}});
  }
  // Answered once this state is durable (see on_persisted).
  if (st.writes_durable >= st.writes_issued)
    return st.job.record();
  auto rp = self->make_response_promise<job_record>();
  st.awaiting.emplace_back(st.writes_issued, rp);
  return rp;
}

caf::result<job_record> on_request(self_ptr self, job_request& req) {
  switch (req.kind) {
    case job_query_kind::get: break;
    case job_query_kind::cancel: return cancel(self);
    case job_query_kind::subscribe: {
      auto& cbs = self->state.callbacks;
      if (std::find(cbs.begin(), cbs.end(), req.callback_url) == cbs.end())
        cbs.push_back(std::move(req.callback_url));
      break;
    }
  }
  return self->state.job.record();
}

void on_persisted(self_ptr self, uint64_t no) {
  auto& st = self->state;
  if (no == 0) {
    // A write was refused or failed: write the current state again.
    // Later writes carry the same or newer state, so once is enough.
    // Every live job hits this at once when the disk fills: one line per
    // interval for all of them (the store logs the cause itself).
    static log::throttle failures{std::chrono::seconds(10)};
    if (uint64_t n = 0; failures.admit(n))
      log::warning() << "job " << st.job.id() << ": store write failed; "
                     << "retrying" << log::suppressed_note(n);
    self->delayed_send(
      self, persist_retry,
      job_event{job_signal::persisted, std::numeric_limits<uint64_t>::max()});
    return;
  }
  if (no == std::numeric_limits<uint64_t>::max()) {
    persist(self);
    return;
  }
  // Writes land in order: this one covers every earlier one.
  st.writes_durable = std::max(st.writes_durable, no);
  if (!st.awaiting.empty()) {
    auto rec = st.job.record();
    std::erase_if(st.awaiting, [&](auto& x) {
      if (x.first > no)
        return false;
      x.second.deliver(rec);
      return true;
    });
  }
  if (no != st.writes_issued || !is_final(st.job.state))
    return;
  forget_instance(self);
  self->send(st.ctx->manager,
             job_done{st.job.record(), std::move(st.callbacks)});
  self->quit();
}

void on_event(self_ptr self, const job_event& ev) {
  auto& job = self->state.job;
  switch (ev.what) {
    case job_signal::expire:
      if (waiting(job.state) && past_expiry(job))
        change(self, job_state::expired, "not started before expire_time");
      else if (!is_final(job.state) && !past_expiry(job))
        // A timer can fire a little early; look again at the real instant.
        self->delayed_send(self, until(job.expire_ms),
                           job_event{job_signal::expire});
      return;
    case job_signal::wake:
      if (job.state != job_state::scheduled)
        return;
      change(self, job_state::queued);
      enqueue(self);
      return;
    case job_signal::retry:
      if (job.state != job_state::retrying)
        return;
      change(self, job_state::queued);
      enqueue(self);
      return;
    case job_signal::persisted: on_persisted(self, ev.write_no); return;
    case job_signal::adapter_gone:
      // Its instances are gone too: an attempt under way has nobody left to
      // report on it.
      if (!is_final(job.state))
        change(self, job_state::failed,
               "adapter '" + std::string{job.adapter()} + "' was deleted");
      return;
    case job_signal::requeue:
      // Handed to an instance that left before it could take the job.
      if (job.state == job_state::queued)
        enqueue(self);
      return;
  }
}

} // namespace

job_actor::behavior_type
job(job_actor::stateful_pointer<job_actor_state> self, resident_job rec,
    std::vector<std::string> callbacks, uint64_t seq, adapter_actor adapter,
    std::shared_ptr<const job_context> ctx, bool queued) {
  auto& st = self->state;
  st.job = std::move(rec);
  st.callbacks = std::move(callbacks);
  st.seq = seq;
  st.adapter = std::move(adapter);
  st.ctx = std::move(ctx);
  self->set_down_handler([self](const caf::down_msg& dm) {
    if (self->state.instance && dm.source == self->state.instance.address())
      instance_lost(self);
  });
  start(self, queued);
  // Four handlers: each one costs every live job actor (see job_event).
  return {
    [self](const take_job& req) {
      return take(self, req);
    },
    [self](const attempt_result& res) {
      on_result(self, res);
    },
    [self](job_request& req) {
      return on_request(self, req);
    },
    [self](const job_event& ev) {
      on_event(self, ev);
    },
  };
}

} // namespace ns
