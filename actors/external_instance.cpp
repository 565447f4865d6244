#include "actors/external_instance.hpp"

#include <caf/send.hpp>

#include "actors/clock.hpp"
#include "config/log.hpp"

namespace ns {

namespace {

using self_ptr = caf::stateful_actor<external_instance_state>*;

constexpr auto take_timeout = std::chrono::seconds(10);
constexpr auto detach_timeout = std::chrono::seconds(5);
constexpr uint32_t max_held = 10'000;

void publish(self_ptr self) {
  auto& st = self->state;
  st.info->credit = st.granted;
  st.info->in_flight = static_cast<uint32_t>(st.in_flight.size());
}

/// Passes credit from the instance on to the adapter queue, never more than
/// `max_held` jobs granted and held together.
void grant(self_ptr self, uint32_t n) {
  auto& st = self->state;
  // After the detach, credit would put this proxy back in the queue's
  // rotation just before it quits, and jobs handed to it then would be lost.
  if (st.closing)
    return;
  if (!st.adapter) {
    st.pending_credit += n;
    return;
  }
  auto held = st.granted + st.taking.size() + st.in_flight.size();
  n = held >= max_held ? 0 : std::min<uint32_t>(n, max_held - held);
  if (n == 0)
    return;
  st.granted += n;
  self->send(st.adapter, want_work{caf::actor_cast<caf::actor>(self), n});
  publish(self);
}

/// Ends the session once: tells the instance (unless it left itself), leaves
/// the adapter queue, then quits; job actors watching this proxy queue their
/// jobs again.
void close(self_ptr self, const std::string& code, const std::string& why) {
  auto& st = self->state;
  if (st.closing)
    return;
  st.closing = true;
  log::info() << "adapter '" << st.cfg.adapter << "': instance " << st.info->id
              << " (" << st.info->peer << ") leaves: " << why << "; "
              << st.in_flight.size() << " jobs go back to the queue";
  // Unlisted first: whoever heard the bye must not find it listed.
  st.cfg.board->remove(st.info->id);
  st.cfg.link->close(st.cfg.peer, code, why);
  if (!st.adapter) {
    self->quit();
    return;
  }
  self
    ->request(caf::actor_cast<adapter_actor>(st.adapter), detach_timeout,
              atom::detach::value, caf::actor_cast<caf::actor>(self))
    .then(
      [self](bool) {
        self->quit();
      },
      [self](const caf::error&) {
        self->quit();
      });
}

/// Sends the instance the jobs taken so far in the order the adapter handed
/// them over: one whose take_job answer came early waits for those before it.
void hand_over(self_ptr self) {
  auto& st = self->state;
  while (!st.taking.empty() && st.taking.front().answered) {
    auto& front = st.taking.front();
    if (front.rec) {
      auto& rec = *front.rec;
      st.in_flight.emplace(rec.id, std::move(front.job));
      st.cfg.link->send_job(st.cfg.peer, rec);
      // A cancel that overtook the job goes right after it.
      if (st.early_cancels.erase(rec.id) != 0)
        st.cfg.link->send_cancel(st.cfg.peer, rec.id);
    }
    st.taking.pop_front();
    st.first_taken += 1;
  }
  publish(self);
}

void on_work(self_ptr self, const work_item& w) {
  auto& st = self->state;
  if (st.closing) {
    caf::anon_send(caf::actor_cast<job_actor>(w.job),
                   job_event{job_signal::requeue});
    return;
  }
  st.granted -= 1;
  auto no = st.first_taken + st.taking.size();
  st.taking.push_back(job_being_taken{w.job, false, std::nullopt});
  auto job = caf::actor_cast<job_actor>(w.job);
  // Once closing, the job's watch on this proxy requeues a taken job.
  self->request(job, take_timeout, take_job{caf::actor_cast<caf::actor>(self)})
    .then(
      [self, no](job_record& rec) {
        auto& st = self->state;
        if (st.closing)
          return;
        auto& slot = st.taking[no - st.first_taken];
        slot.answered = true;
        slot.rec = std::move(rec);
        hand_over(self);
      },
      [self, no](const caf::error&) {
        auto& st = self->state;
        if (st.closing)
          return;
        st.taking[no - st.first_taken].answered = true;
        // Canceled or expired while queued: the instance never saw it, so
        // its slot is free again.
        grant(self, 1);
        hand_over(self);
      });
}

void on_result(self_ptr self, instance_result& r) {
  auto& st = self->state;
  st.last_seen_ms = clock::now_ms();
  auto i = st.in_flight.find(r.job_id);
  if (i != st.in_flight.end()) {
    self->send(caf::actor_cast<job_actor>(i->second), std::move(r.res));
    st.in_flight.erase(i);
    st.info->done += 1;
  } else {
    log::debug() << "adapter '" << st.cfg.adapter << "': result for job "
                 << r.job_id << " that instance " << st.info->id
                 << " does not hold (ignored)";
  }
  if (r.credit != 0)
    grant(self, r.credit);
  publish(self);
}

/// Ends the session if the adapter, as `change` shows it, no longer admits
/// it; true if it did.
bool end_if_unwelcome(self_ptr self, const adapter_changed& change) {
  auto& st = self->state;
  if (!change.entry)
    close(self, "adapter_deleted", "the adapter was deleted");
  else if (change.entry->rec.blocked)
    close(self, "adapter_blocked", "the adapter was blocked");
  else if (change.entry->rec.key_hash != st.cfg.key_hash)
    close(self, "key_rotated", "the adapter key was rotated");
  else
    return false;
  return true;
}

/// Joins the adapter's list of instances before any credit, so that every
/// admin change reaches this session; its answer also shows a change made
/// between the gateway's check of the hello and now.
void join(self_ptr self, const caf::actor& adapter) {
  self->monitor(adapter);
  self
    ->request(caf::actor_cast<adapter_actor>(adapter), take_timeout,
              atom::attach::value, caf::actor_cast<caf::actor>(self))
    .then(
      [self, adapter](const adapter_changed& now) {
        auto& st = self->state;
        if (st.closing || end_if_unwelcome(self, now))
          return;
        st.adapter = adapter;
        st.cfg.link->send_welcome(st.cfg.peer, st.info->id, st.cfg.adapter);
        auto n = st.pending_credit;
        st.pending_credit = 0;
        grant(self, n);
      },
      [self](const caf::error&) {
        close(self, "adapter_deleted", "the adapter is gone");
      });
}

} // namespace

caf::behavior external_instance(self_ptr self,
                                std::shared_ptr<instance_info> info,
                                external_instance_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.info = std::move(info);
  st.last_seen_ms = clock::now_ms();
  st.info->last_heartbeat_ms = st.last_seen_ms;
  st.pending_credit = st.cfg.credit;
  st.cfg.board->add(st.info);
  self->set_down_handler([self](const caf::down_msg&) {
    // The only actor it monitors is its adapter.
    self->state.adapter = nullptr;
    close(self, "adapter_deleted", "the adapter is gone");
  });
  self
    ->request(st.cfg.manager, take_timeout, atom::attach::value, st.cfg.adapter)
    .then(
      [self](const caf::actor& adapter) {
        if (!self->state.closing)
          join(self, adapter);
      },
      [self](const caf::error&) {
        close(self, "adapter_deleted", "the adapter does not exist");
      });
  self->delayed_send(self, st.cfg.heartbeat, atom::tick::value);
  return {
    [self](const work_item& w) {
      on_work(self, w);
    },
    [self](instance_result& r) {
      on_result(self, r);
    },
    [self](const instance_credit& c) {
      self->state.last_seen_ms = clock::now_ms();
      grant(self, c.credit);
    },
    [self](atom::heartbeat) {
      auto now = clock::now_ms();
      self->state.last_seen_ms = now;
      self->state.info->last_heartbeat_ms = now;
    },
    [self](atom::tick) {
      auto& st = self->state;
      if (st.closing)
        return;
      auto silent = clock::now_ms() - st.last_seen_ms;
      if (silent > static_cast<uint64_t>(st.cfg.timeout.count())) {
        close(self, "heartbeat_timeout",
              "silent for " + std::to_string(silent) + " ms");
        return;
      }
      st.cfg.link->send_heartbeat(st.cfg.peer);
      self->delayed_send(self, st.cfg.heartbeat, atom::tick::value);
    },
    [self](const cancel_attempt& c) {
      auto& st = self->state;
      if (st.closing)
        return;
      if (st.in_flight.count(c.job_id) != 0)
        st.cfg.link->send_cancel(st.cfg.peer, c.job_id);
      else // the job's answer to take_job is still on its way
        st.early_cancels.insert(c.job_id);
    },
    [self](const adapter_changed& change) {
      end_if_unwelcome(self, change);
    },
    [self](atom::close, const std::string& code, const std::string& why) {
      close(self, code, why);
    },
  };
}

} // namespace ns
