#include "actors/adapter_actor.hpp"

#include <algorithm>

#include <caf/send.hpp>

#include "actors/channel_instance.hpp"
#include "actors/clock.hpp"
#include "config/log.hpp"

namespace ns {

namespace {

using self_ptr = adapter_actor::stateful_pointer<adapter_actor_state>;

/// Takes a token of the adapter's rate limit, or arranges to be woken when
/// the next one is due.
bool take_token(self_ptr self) {
  auto& st = self->state;
  auto rate = channel_rate_limit(st.entry->rec);
  if (rate <= 0)
    return true;
  auto now = clock::now_ms();
  st.tokens = std::min(
    1.0, st.tokens + static_cast<double>(now - st.refilled_ms) * rate / 1000.0);
  st.refilled_ms = now;
  if (st.tokens >= 1.0) {
    st.tokens -= 1.0;
    return true;
  }
  if (!st.wake_pending) {
    st.wake_pending = true;
    auto wait = static_cast<uint64_t>((1.0 - st.tokens) * 1000.0 / rate) + 1;
    self->delayed_send(self, std::chrono::milliseconds(wait),
                       atom::wake::value);
  }
  return false;
}

/// Hands queued jobs to instances with free credit, round robin, unless the
/// adapter is blocked.
void dispatch(self_ptr self) {
  auto& st = self->state;
  if (st.entry->rec.blocked || st.instances.empty())
    return;
  size_t idle_rounds = 0;
  while (!st.queue.empty() && idle_rounds < st.instances.size()) {
    auto& [inst, credit] = st.instances[st.next_instance];
    st.next_instance = (st.next_instance + 1) % st.instances.size();
    if (credit == 0) {
      ++idle_rounds;
      continue;
    }
    idle_rounds = 0;
    if (!take_token(self))
      return;
    caf::anon_send(inst, work_item{st.queue.pop()});
    credit -= 1;
  }
}

/// The free credit of `inst`, which joins the rotation (watched, so that it
/// leaves it when it quits) if it is not in it yet.
uint32_t& credit_of(self_ptr self, const caf::actor& inst) {
  auto& xs = self->state.instances;
  auto i = std::find_if(xs.begin(), xs.end(), [&](auto& x) {
    return x.first == inst;
  });
  if (i != xs.end())
    return i->second;
  self->monitor(inst);
  return xs.emplace_back(inst, 0).second;
}

void drop_instance(self_ptr self, const caf::actor_addr& who) {
  auto& xs = self->state.instances;
  std::erase_if(xs, [&](auto& x) {
    return x.first.address() == who;
  });
  self->state.next_instance = 0;
}

} // namespace

adapter_actor::behavior_type
adapter(adapter_actor::stateful_pointer<adapter_actor_state> self,
        std::shared_ptr<const adapter_entry> entry,
        std::shared_ptr<const job_context> ctx) {
  auto& st = self->state;
  st.entry = std::move(entry);
  st.ctx = std::move(ctx);
  self->set_down_handler([self](const caf::down_msg& dm) {
    drop_instance(self, dm.source);
  });
  st.refilled_ms = clock::now_ms();
  if (auto send = channel_sender(st.entry->rec.type, *st.ctx)) {
    auto inst = self->spawn<caf::linked>(channel_instance,
                                         caf::actor_cast<adapter_actor>(self),
                                         st.entry, st.ctx, std::move(send));
    self->monitor(inst);
  } else if (st.entry->rec.type != adapter_type::external) {
    log::warning() << "adapter '" << st.entry->rec.name << "' is of type "
                   << to_string(st.entry->rec.type)
                   << ", which this nsd cannot deliver yet; its jobs wait "
                      "(and expire)";
  }
  return {
    [self](enqueue_job& x) {
      self->state.queue.push(x.priority, x.seq, std::move(x.job));
      dispatch(self);
    },
    [self](enqueue_jobs& xs) {
      for (auto& x : xs.jobs)
        self->state.queue.push(x.priority, x.seq, std::move(x.job));
      dispatch(self);
    },
    [self](const want_work& w) {
      credit_of(self, w.instance) += w.credit;
      dispatch(self);
    },
    [self](atom::attach, const caf::actor& inst) -> adapter_changed {
      // Without credit too: every instance in the list is told of changes.
      credit_of(self, inst);
      auto& entry = self->state.entry;
      return adapter_changed{entry->rec.name, entry};
    },
    [self](atom::wake) {
      self->state.wake_pending = false;
      dispatch(self);
    },
    [self](const adapter_changed& change) {
      auto& st = self->state;
      for (auto& [inst, credit] : st.instances)
        caf::anon_send(inst, change);
      if (!change.entry) {
        // Deleted: the instances were told; the manager fails the jobs.
        self->quit(caf::exit_reason::user_shutdown);
        return;
      }
      st.entry = change.entry;
      dispatch(self);
    },
    [self](atom::detach, const caf::actor& inst) {
      // Every job handed to `inst` is in its mailbox before this answer.
      self->demonitor(inst);
      drop_instance(self, inst.address());
      return true;
    },
  };
}

} // namespace ns
