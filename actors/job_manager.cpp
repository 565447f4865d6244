#include "actors/job_manager.hpp"

#include <algorithm>

#include <boost/json/serialize.hpp>
#include <caf/send.hpp>

#include "actors/adapter_actor.hpp"
#include "actors/callback_actor.hpp"
#include "actors/clock.hpp"
#include "actors/job_actor.hpp"
#include "actors/repeater.hpp"
#include "config/error.hpp"
#include "config/log.hpp"
#include "store/keys.hpp"

namespace ns {

namespace {

using self_ptr = job_manager_actor::stateful_pointer<job_manager_state>;

void start_callbacks(self_ptr self, const job_record& job,
                     const std::vector<std::string>& urls) {
  if (urls.empty())
    return;
  auto body = callback_body(job);
  for (auto& url : urls) {
    auto hdl = self->spawn<caf::monitored>(
      callback, std::shared_ptr<const job_context>{self->state.ctx}, job.id,
      job.client_id, url, body);
    self->state.callbacks.emplace(hdl.address(), hdl);
  }
}

void count(self_ptr self, const std::string& adapter, job_state s, int delta) {
  auto i = static_cast<size_t>(s);
  self->state.total.by_state[i] += delta;
  self->state.per_adapter[adapter].by_state[i] += delta;
}

adapter_actor adapter_for(self_ptr self, const std::string& name) {
  auto& st = self->state;
  if (auto i = st.adapters.find(name); i != st.adapters.end())
    return i->second;
  auto entry = st.ctx->view->get()->adapter(name);
  if (entry == nullptr)
    return adapter_actor{};
  auto shared = st.ctx->view->get()->adapters.at(name);
  auto hdl
    = self->spawn(adapter, shared, std::shared_ptr<const job_context>{st.ctx});
  st.adapters.emplace(name, hdl);
  return hdl;
}

/// Wakes the manager at `at_ms` to expire jobs, unless it will wake
/// earlier anyway.
void arm_due(self_ptr self, uint64_t at_ms) {
  auto& st = self->state;
  if (st.due_armed_ms != 0 && st.due_armed_ms <= at_ms)
    return;
  st.due_armed_ms = at_ms;
  auto now = clock::now_ms();
  self->delayed_send(self,
                     std::chrono::milliseconds(at_ms > now ? at_ms - now : 0),
                     atom::due::value);
}

/// Queues `x` at `ad` with the other jobs of this handler (see flush_enqueues).
void enqueue_later(self_ptr self, const adapter_actor& ad, enqueue_job x) {
  auto& pending = self->state.to_enqueue;
  for (auto& [to, xs] : pending) {
    if (to == ad) {
      xs.push_back(std::move(x));
      return;
    }
  }
  pending.emplace_back(ad, std::vector<enqueue_job>{});
  pending.back().second.push_back(std::move(x));
}

/// Sends what enqueue_later collected: one message per adapter.
void flush_enqueues(self_ptr self) {
  for (auto& [ad, xs] : self->state.to_enqueue)
    self->send(ad, enqueue_jobs{std::move(xs)});
  self->state.to_enqueue.clear();
}

void spawn_job(self_ptr self, job_record rec,
               std::vector<std::string> callbacks) {
  auto& st = self->state;
  auto id = rec.id;
  auto name = rec.adapter;
  auto state = rec.state;
  auto priority = rec.priority;
  auto expire_ms = rec.expire_ms;
  if (auto i = st.new_callbacks.find(id); i != st.new_callbacks.end()) {
    for (auto& url : i->second)
      if (std::find(callbacks.begin(), callbacks.end(), url) == callbacks.end())
        callbacks.push_back(url);
    st.new_callbacks.erase(i);
  }
  auto ad = adapter_for(self, name);
  auto seq = st.next_seq++;
  // A queued job only waits for an instance: the manager queues it at its
  // adapter and the actor starts when its first message comes (the take, a
  // query, expiry), so accepting it costs the scheduler nothing.
  auto ready = state == job_state::queued && ad;
  // The packed form, not the record: a lazy actor holds its spawn arguments
  // until it starts.
  auto packed = resident_job{rec};
  auto hdl = ready
    ? self->spawn<caf::lazy_init>(
      job, std::move(packed), std::move(callbacks), seq, ad,
      std::shared_ptr<const job_context>{st.ctx}, true)
    : self->spawn(job, std::move(packed), std::move(callbacks), seq, ad,
                  std::shared_ptr<const job_context>{st.ctx}, false);
  if (ready)
    enqueue_later(self, ad,
                  enqueue_job{caf::actor_cast<caf::actor>(hdl), priority, seq});
  st.live.emplace(id, live_jobs::entry{hdl, ad});
  count(self, name, state, +1);
  arm_due(self, expire_ms);
  if (!ad)
    self->send(hdl, job_event{job_signal::adapter_gone});
}

std::vector<std::string> stored_callbacks(self_ptr self,
                                          const std::string& job_id) {
  std::vector<std::string> out;
  auto prefix = store::keys::callback_prefix(job_id);
  // Empty: pending; delivered and failed ones are never sent again.
  (void)self->state.db->scan(store::cf::callbacks, prefix,
                             [&](std::string_view key, std::string_view value) {
                               if (value.empty())
                                 out.emplace_back(key.substr(prefix.size()));
                               return true;
                             });
  return out;
}

/// Every callback of `job_id`, pending or done, in URL order.
std::vector<callback_status> callbacks_of(self_ptr self,
                                          const std::string& job_id) {
  std::vector<callback_status> out;
  auto prefix = store::keys::callback_prefix(job_id);
  (void)self->state.db->scan(
    store::cf::callbacks, prefix,
    [&](std::string_view key, std::string_view value) {
      out.push_back(read_callback(key.substr(prefix.size()), value));
      return true;
    });
  return out;
}

/// The record of `id` if it rests in the backlog: not live, not being
/// finished by the manager, not final.
std::optional<job_record> load_resting(self_ptr self, const std::string& id) {
  auto& st = self->state;
  if (st.live.contains(id) || st.tombstones.count(id) != 0)
    return std::nullopt;
  auto bytes = st.db->get(store::cf::jobs, store::keys::job(id));
  if (!bytes || !bytes->has_value())
    return std::nullopt;
  auto rec = decode_job(**bytes);
  if (!rec || is_final(rec->state))
    return std::nullopt;
  return std::move(*rec);
}

/// Gives actors to resting jobs while the window has room: by priority, then
/// oldest first (the order of the `active` keys).
void refill(self_ptr self) {
  auto& st = self->state;
  auto& bl = st.backlog;
  for (uint8_t p = 0; p < priorities; ++p) {
    while (bl.maybe_resting[p] && st.live.size() < st.max_live) {
      auto room = std::min<size_t>(st.max_live - st.live.size(), 512);
      std::vector<std::string> keys;
      auto err = st.db->scan(
        store::cf::active, store::keys::active_prefix(p),
        [&](std::string_view key, std::string_view) {
          keys.emplace_back(key);
          return keys.size() < room;
        },
        bl.cursor[p]);
      if (err) {
        log::error() << "backlog: " << message_of(err);
        return;
      }
      if (keys.size() < room)
        bl.maybe_resting[p] = false;
      if (keys.empty())
        break;
      for (auto& key : keys) {
        bl.cursor[p] = key;
        auto id = std::string{store::keys::parse_active(key)->job_id};
        auto rec = load_resting(self, id);
        if (!rec)
          continue;
        bl.resting = std::max<int64_t>(0, bl.resting - 1);
        auto cbs = stored_callbacks(self, id);
        spawn_job(self, std::move(*rec), std::move(cbs));
      }
    }
  }
}

/// A job that rests in the store ends without ever getting an actor
/// (canceled, or expired by the due timer).
void finish_resting(self_ptr self, job_record rec, job_state to,
                    std::string why, reply_fn<job_record> reply = nullptr) {
  auto& st = self->state;
  rec.state = to;
  rec.finish_ms = clock::now_ms();
  rec.last_error = std::move(why);
  store::write_batch batch;
  batch.put(store::cf::jobs, store::keys::job(rec.id), encode(rec));
  batch.erase(store::cf::active,
              store::keys::active(static_cast<uint8_t>(rec.priority), rec.id));
  batch.erase(store::cf::due, store::keys::due(rec.expire_ms, rec.id));
  auto hdl = caf::actor_cast<job_manager_actor>(self);
  auto id = rec.id;
  auto ok = st.ctx->commit->submit(
    std::move(batch), [hdl, id, answer = rec, reply](const caf::error& err) {
      if (err)
        log::error() << "job " << id << ": " << message_of(err);
      // Answered only once durable: a 2xx means durable.
      if (reply)
        reply(err ? caf::expected<job_record>{err}
                  : caf::expected<job_record>{answer});
      caf::anon_send(hdl, atom::persisted::value, id);
    });
  if (!ok) {
    if (reply)
      reply(
        make_error(ec::overloaded, "the store is not keeping up; try again"));
    else // an expiry: look again shortly
      arm_due(self, clock::now_ms() + 200);
    return;
  }
  st.tombstones.insert(rec.id);
  st.backlog.resting = std::max<int64_t>(0, st.backlog.resting - 1);
  count(self, rec.adapter, to, +1);
  auto cbs = stored_callbacks(self, rec.id);
  if (auto i = st.new_callbacks.find(rec.id); i != st.new_callbacks.end()) {
    for (auto& url : i->second)
      if (std::find(cbs.begin(), cbs.end(), url) == cbs.end())
        cbs.push_back(url);
    st.new_callbacks.erase(i);
  }
  // Callbacks carry the final state: they go out once it is durable.
  st.finishing.emplace(rec.id, recovered_job{std::move(rec), std::move(cbs)});
}

/// Expires the jobs whose expire_time has passed, then re-arms for the next
/// due instant: resting ones here, live ones by telling their actor (which
/// ignores it while an attempt runs). One timer for every job of the node.
void check_due(self_ptr self) {
  auto& st = self->state;
  st.due_armed_ms = 0;
  auto now = clock::now_ms();
  std::vector<std::string> due_ids;
  uint64_t next = 0;
  (void)st.db->scan(store::cf::due, "",
                    [&](std::string_view key, std::string_view) {
                      auto e = store::keys::parse_due(key);
                      if (!e)
                        return true;
                      if (e->at_ms > now) {
                        next = e->at_ms;
                        return false;
                      }
                      due_ids.emplace_back(e->job_id);
                      return true;
                    });
  for (auto& id : due_ids) {
    if (auto* j = st.live.find(id)) {
      self->send(j->hdl, job_event{job_signal::expire});
      continue;
    }
    auto rec = load_resting(self, id);
    if (!rec)
      continue;
    finish_resting(self, std::move(*rec), job_state::expired,
                   "not started before expire_time");
  }
  if (next != 0)
    arm_due(self, next);
}

/// A job that just became durable: an actor if the window has room and no
/// older job of its priority rests, else it rests in the backlog.
void accept(self_ptr self, job_record job) {
  auto& st = self->state;
  st.accepted += 1;
  if (st.live.contains(job.id))
    return; // the backlog reached it first
  auto p = static_cast<uint8_t>(job.priority);
  auto key = store::keys::active(p, job.id);
  // FIFO: while older jobs of this priority rest, newer ones rest too.
  if (st.live.size() >= st.max_live || st.backlog.maybe_resting[p]) {
    st.backlog.maybe_resting[p] = true;
    st.backlog.resting += 1;
    // Ids are made on several HTTP threads and committed in batches, so a
    // job can land behind the cursor; scan that priority from its start
    // again rather than strand it (live jobs are skipped).
    if (key <= st.backlog.cursor[p])
      st.backlog.cursor[p].clear();
    arm_due(self, job.expire_ms);
    return;
  }
  if (key > st.backlog.cursor[p])
    st.backlog.cursor[p] = key;
  std::vector<std::string> cbs;
  if (!job.callback_url.empty())
    cbs.push_back(job.callback_url);
  spawn_job(self, std::move(job), std::move(cbs));
}

/// Subscribes to a final job: its callback goes out now, once. The pending
/// record is written here, before the callback can write its outcome, so
/// that it never overwrites one; a URL already subscribed is left as it is.
void subscribe_final(self_ptr self, job_record rec, const job_query& q) {
  auto& st = self->state;
  auto key = store::keys::callback(rec.id, q.callback_url);
  if (auto known = st.db->get(store::cf::callbacks, key);
      known && known->has_value()) {
    q.reply(std::move(rec));
    return;
  }
  store::write_batch batch;
  batch.put(store::cf::callbacks, key, {});
  auto ok = st.ctx->commit->submit(
    std::move(batch), [reply = q.reply, answer = rec](const caf::error& err) {
      reply(err ? caf::expected<job_record>{err}
                : caf::expected<job_record>{answer});
    });
  if (!ok) {
    q.reply(
      make_error(ec::overloaded, "the store is not keeping up; try again"));
    return;
  }
  start_callbacks(self, rec, {q.callback_url});
}

/// Answers a query about a job that has no actor: read it from the store.
void answer_from_store(self_ptr self, const job_query& q) {
  auto& st = self->state;
  auto bytes = st.db->get(store::cf::jobs, store::keys::job(q.job_id));
  if (!bytes) {
    q.reply(bytes.error());
    return;
  }
  if (!bytes->has_value()) {
    q.reply(make_error(ec::not_found, "job '" + q.job_id + "' does not exist"));
    return;
  }
  auto rec = decode_job(**bytes);
  if (!rec) {
    q.reply(rec.error());
    return;
  }
  // Another client's job does not exist for this one.
  if (rec->client_id != q.client_id) {
    q.reply(make_error(ec::not_found, "job '" + q.job_id + "' does not exist"));
    return;
  }
  switch (q.kind) {
    case job_query_kind::get: q.reply(std::move(*rec)); return;
    case job_query_kind::cancel:
      if (is_final(rec->state) || st.tombstones.count(rec->id) != 0) {
        q.reply(
          make_error(ec::already_final,
                     "job is already " + std::string{to_string(rec->state)}));
        return;
      }
      // Resting in the backlog: it never ran, so it ends here.
      finish_resting(self, *rec, job_state::canceled, "canceled by the client",
                     q.reply);
      return;
    case job_query_kind::subscribe:
      // A resting job reads its callbacks from the store when it gets an
      // actor; a final one gets its callback now.
      if (is_final(rec->state))
        subscribe_final(self, std::move(*rec), q);
      else {
        st.new_callbacks[rec->id].push_back(q.callback_url);
        q.reply(std::move(*rec));
      }
      return;
  }
}

std::string stats_json(self_ptr self) {
  auto& st = self->state;
  auto states = [](const job_counters& c) {
    boost::json::object o;
    for (size_t i = 0; i < job_counters::states; ++i)
      o[to_string(static_cast<job_state>(i))] = c.by_state[i];
    return o;
  };
  boost::json::object adapters;
  for (auto& [name, c] : st.per_adapter)
    adapters[name] = states(c);
  boost::json::object out{
    {"jobs", states(st.total)},
    {"adapters", std::move(adapters)},
    {"live_jobs", st.live.size()},
    {"backlog_jobs", st.backlog.resting},
    {"max_live_jobs", st.max_live},
    {"accepted_total", st.accepted},
    {"delivered_total", st.delivered},
    {"ingest_per_s", st.ingest_rate},
    {"delivery_per_s", st.delivery_rate},
    {"store_pending_writes", st.ctx->commit->pending()},
    {"note",
     "final-state counts are since this node started; 'jobs' counts "
     "jobs with an actor, 'backlog_jobs' those waiting in the store"},
  };
  return boost::json::serialize(out);
}

/// The same counters as stats_json, as a scraper reads them: gauges for the
/// states a job leaves, counters for the final ones.
std::string metrics_text(self_ptr self) {
  auto& st = self->state;
  std::string out;
  out.reserve(4096);
  // A family's samples must stand together: first every adapter's gauges,
  // then every adapter's counters.
  for (bool finals : {false, true}) {
    out += finals ? "# HELP ns_jobs_finished_total Jobs that reached a final "
                    "state on this node since it started, by adapter and "
                    "state.\n# TYPE ns_jobs_finished_total counter\n"
                  : "# HELP ns_jobs Jobs with an actor on this node, by "
                    "adapter and state.\n# TYPE ns_jobs gauge\n";
    for (auto& [name, c] : st.per_adapter) {
      for (size_t i = 0; i < job_counters::states; ++i) {
        auto state = static_cast<job_state>(i);
        if (is_final(state) != finals)
          continue;
        auto labels = "adapter=\"" + label_value(name) + "\",state=\""
          + std::string{to_string(state)} + "\"";
        render_metric(out, finals ? "ns_jobs_finished_total" : "ns_jobs", "",
                      "", labels, static_cast<double>(c.by_state[i]));
      }
    }
  }
  render_metric(out, "ns_jobs_accepted_total", "counter",
                "Jobs accepted (answered 2xx) since this node started.", "",
                static_cast<double>(st.accepted));
  render_metric(out, "ns_jobs_delivered_total", "counter",
                "Jobs that succeeded since this node started.", "",
                static_cast<double>(st.delivered));
  render_metric(out, "ns_live_jobs", "gauge",
                "Job actors alive (jobs.max_live bounds it).", "",
                static_cast<double>(st.live.size()));
  render_metric(out, "ns_max_live_jobs", "gauge", "jobs.max_live.", "",
                static_cast<double>(st.max_live));
  render_metric(out, "ns_backlog_jobs", "gauge",
                "Queued jobs resting in the store without an actor.", "",
                static_cast<double>(st.backlog.resting));
  auto commits = st.ctx->commit->snapshot();
  render_metric(out, "ns_store_pending_writes", "gauge",
                "Writes waiting for the group commit.", "",
                static_cast<double>(st.ctx->commit->pending()));
  render_metric(out, "ns_store_commits_total", "counter",
                "Group commits (one fsync each) since this node started.", "",
                static_cast<double>(commits.commits));
  render_metric(out, "ns_store_writes_total", "counter",
                "Writes the group commits carried.", "",
                static_cast<double>(commits.batches));
  render_metric(out, "ns_store_commit_failures_total", "counter",
                "Group commits the store refused.", "",
                static_cast<double>(commits.failures));
  if (auto& m = st.ctx->metrics) {
    m->job_accept.render(out, "ns_job_accept_seconds",
                         "From a job's submission to its durable answer.");
    m->job_completion.render(
      out, "ns_job_completion_seconds",
      "From a job's create_time to its final state, for jobs that ended on "
      "this node's actors.");
  }
  return out;
}

} // namespace

caf::expected<recovery> recover_jobs(const store::db& db, uint64_t max_live) {
  recovery out;
  std::unordered_map<std::string, size_t> index;
  caf::error failure;
  auto err = db.scan(
    store::cf::active, "", [&](std::string_view key, std::string_view) {
      auto entry = store::keys::parse_active(key);
      if (!entry || entry->priority >= priorities)
        return true;
      if (out.jobs.size() >= max_live) {
        out.backlog.maybe_resting[entry->priority] = true;
        out.backlog.resting += 1;
        return true;
      }
      auto bytes = db.get(store::cf::jobs, store::keys::job(entry->job_id));
      if (!bytes) {
        failure = bytes.error();
        return false;
      }
      if (!bytes->has_value())
        return true; // index without record: nothing to do
      auto rec = decode_job(**bytes);
      if (!rec) {
        failure = rec.error();
        return false;
      }
      out.backlog.cursor[entry->priority] = std::string{key};
      if (is_final(rec->state))
        return true;
      index.emplace(rec->id, out.jobs.size());
      out.jobs.push_back(recovered_job{std::move(*rec), {}});
      return true;
    });
  if (err)
    return err;
  if (failure)
    return failure;
  err = db.scan(
    store::cf::callbacks, "",
    [&](std::string_view key, std::string_view value) {
      auto sep = key.find('\0');
      // Not empty: delivered or given up before the restart.
      if (sep == std::string_view::npos || !value.empty())
        return true;
      auto id = std::string{key.substr(0, sep)};
      auto url = std::string{key.substr(sep + 1)};
      if (auto i = index.find(id); i != index.end()) {
        out.jobs[i->second].callbacks.push_back(std::move(url));
        return true;
      }
      // Resting jobs read their callbacks when they leave the backlog; the
      // record tells them apart (no set of every resting id: the backlog
      // may hold millions, callbacks are few).
      auto bytes = db.get(store::cf::jobs, id);
      if (bytes && bytes->has_value())
        if (auto rec = decode_job(**bytes); rec && is_final(rec->state))
          out.final_callbacks.emplace_back(std::move(*rec), std::move(url));
      return true;
    });
  if (err)
    return err;
  return out;
}

job_manager_actor::behavior_type
job_manager(self_ptr self, std::shared_ptr<job_context> ctx,
            const store::db* db, uint64_t max_live,
            std::shared_ptr<recovery> recovered) {
  auto& st = self->state;
  st.ctx = std::move(ctx);
  st.db = db;
  st.max_live = max_live;
  st.ctx->manager = caf::actor_cast<job_manager_actor>(self);
  st.ctx->repeater = self->spawn(repeater, uint64_t{0});
  for (auto& [name, entry] : st.ctx->view->get()->adapters)
    adapter_for(self, name);
  if (recovered) {
    for (auto& r : recovered->jobs)
      spawn_job(self, std::move(r.job), std::move(r.callbacks));
    flush_enqueues(self);
    for (auto& [rec, url] : recovered->final_callbacks)
      start_callbacks(self, rec, {url});
    st.backlog = std::move(recovered->backlog);
    log::info() << "recovery: " << recovered->jobs.size() << " jobs resumed, "
                << st.backlog.resting << " waiting in the backlog, "
                << recovered->final_callbacks.size() << " callbacks pending";
    recovered.reset();
  }
  // Resting jobs may expire before they get an actor.
  check_due(self);
  self->set_down_handler([self](const caf::down_msg& dm) {
    self->state.callbacks.erase(dm.source);
  });
  // Everything this manager spawned goes down with it, so that the actor
  // system can finish at shutdown.
  self->set_exit_handler([self](const caf::exit_msg& msg) {
    auto& st = self->state;
    st.live.for_each([&](const live_jobs::entry& j) {
      self->send_exit(j.hdl, msg.reason);
    });
    for (auto& [addr, cb] : st.callbacks)
      self->send_exit(cb, msg.reason);
    for (auto& [name, ad] : st.adapters)
      self->send_exit(ad, msg.reason);
    self->send_exit(st.ctx->repeater, msg.reason);
    self->quit(msg.reason);
  });
  self->delayed_send(self, std::chrono::seconds(1), atom::tick::value);
  return {
    [self](jobs_accepted& x) {
      for (auto& job : x.jobs)
        accept(self, std::move(job));
      flush_enqueues(self);
    },
    [self](job_query& q) {
      auto& st = self->state;
      auto* live = st.live.find(q.job_id);
      if (live == nullptr) {
        answer_from_store(self, q);
        return;
      }
      auto hdl = live->hdl;
      auto reply = q.reply;
      auto client = q.client_id;
      auto check = [reply, client](job_record& rec) {
        if (rec.client_id != client)
          reply(
            make_error(ec::not_found, "job '" + rec.id + "' does not exist"));
        else
          reply(std::move(rec));
      };
      // An actor that quit in between left its final state in the store.
      auto fail = [self, q](caf::error& err) {
        if (err.category() == caf::atom("ns"))
          q.reply(std::move(err));
        else
          answer_from_store(self, q);
      };
      switch (q.kind) {
        case job_query_kind::get:
          self->request(hdl, caf::infinite, job_request{}).then(check, fail);
          return;
        case job_query_kind::cancel:
          // Ownership first: another client must not cancel this job.
          self->request(hdl, caf::infinite, job_request{})
            .then(
              [self, hdl, check, fail, reply, client](job_record& rec) {
                if (rec.client_id != client) {
                  check(rec);
                  return;
                }
                self
                  ->request(hdl, caf::infinite,
                            job_request{job_query_kind::cancel, {}})
                  .then(check, fail);
              },
              fail);
          return;
        case job_query_kind::subscribe:
          self->request(hdl, caf::infinite, job_request{})
            .then(
              [self, hdl, check, fail, url = q.callback_url,
               client](job_record& rec) {
                if (rec.client_id != client) {
                  check(rec);
                  return;
                }
                self
                  ->request(hdl, caf::infinite,
                            job_request{job_query_kind::subscribe, url})
                  .then(check, fail);
              },
              fail);
          return;
      }
    },
    [self](callbacks_query& q) {
      q.reply(callbacks_of(self, q.job_id));
    },
    [self](const stats_query& q) {
      q.reply(stats_json(self));
    },
    [self](const metrics_query& q) {
      q.reply(metrics_text(self));
    },
    [self](const adapter_changed& change) {
      auto& st = self->state;
      if (change.entry) {
        if (auto i = st.adapters.find(change.name); i != st.adapters.end())
          self->send(i->second, change);
        else
          adapter_for(self, change.name);
        return;
      }
      auto i = st.adapters.find(change.name);
      if (i == st.adapters.end())
        return; // its jobs were told when they got their actor
      // It tells its instances, then quits.
      auto gone = i->second;
      self->send(gone, change);
      st.adapters.erase(i);
      st.live.for_each([&](const live_jobs::entry& j) {
        if (j.adapter == gone)
          self->send(j.hdl, job_event{job_signal::adapter_gone});
      });
    },
    [self](const job_transition& t) {
      count(self, t.adapter, t.from, -1);
      count(self, t.adapter, t.to, +1);
      if (t.to == job_state::succeeded)
        self->state.delivered += 1;
    },
    [self](const job_done& d) {
      auto& st = self->state;
      if (st.ctx->metrics && d.job.finish_ms >= d.job.create_ms)
        st.ctx->metrics->job_completion.observe(
          std::chrono::milliseconds(d.job.finish_ms - d.job.create_ms));
      st.live.erase(d.job.id);
      start_callbacks(self, d.job, d.callbacks);
      // Refill in steps, not one store scan per finished job.
      auto step
        = std::max<uint64_t>(1, std::min<uint64_t>(256, st.max_live / 4));
      if (st.live.size() + step <= st.max_live) {
        refill(self);
        flush_enqueues(self);
      }
    },
    [self](atom::due) {
      check_due(self);
    },
    [self](atom::attach, const std::string& name) -> caf::result<caf::actor> {
      // An external instance proxy joins its adapter's queue.
      auto hdl = adapter_for(self, name);
      if (!hdl)
        return make_error(ec::not_found,
                          "adapter '" + name + "' does not exist");
      return caf::actor_cast<caf::actor>(hdl);
    },
    [self](atom::persisted, const std::string& id) {
      auto& st = self->state;
      st.tombstones.erase(id);
      if (auto i = st.finishing.find(id); i != st.finishing.end()) {
        start_callbacks(self, i->second.job, i->second.callbacks);
        st.finishing.erase(i);
      }
    },
    [self](atom::tick) {
      auto& st = self->state;
      // Finishing jobs refill in steps; this catches the remainder.
      if (st.live.size() < st.max_live) {
        refill(self);
        flush_enqueues(self);
      }
      st.ingest_rate = static_cast<double>(st.accepted - st.accepted_at_tick);
      st.delivery_rate
        = static_cast<double>(st.delivered - st.delivered_at_tick);
      st.accepted_at_tick = st.accepted;
      st.delivered_at_tick = st.delivered;
      self->delayed_send(self, std::chrono::seconds(1), atom::tick::value);
    },
  };
}

} // namespace ns
