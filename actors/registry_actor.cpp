#include "actors/registry_actor.hpp"

#include <boost/json/serialize.hpp>
#include <caf/send.hpp>

#include "actors/clock.hpp"
#include "actors/credentials.hpp"
#include "config/error.hpp"
#include "config/log.hpp"
#include "store/keys.hpp"

namespace ns {

namespace {

using self_ptr = registry_actor::stateful_pointer<registry_state>;

caf::error field_error(ec code, std::string message, std::string_view field) {
  boost::json::object details{{"field", field}};
  return make_error(code, std::move(message), boost::json::serialize(details));
}

caf::error not_found(std::string_view what, std::string_view id) {
  return make_error(ec::not_found,
                    std::string{what} + " '" + std::string{id}
                      + "' does not exist");
}

/// Runs `fn` now when no write is in flight, else after the ones before it.
void run_serialized(self_ptr self, std::function<void()> fn) {
  auto& st = self->state;
  if (st.in_flight == 0 && st.waiting.empty())
    fn();
  else
    st.waiting.push_back(std::move(fn));
}

void run_waiting(self_ptr self) {
  auto& st = self->state;
  while (st.in_flight == 0 && !st.waiting.empty()) {
    auto fn = std::move(st.waiting.front());
    st.waiting.pop_front();
    fn();
  }
}

/// Makes `batch` durable, then calls `then` with the outcome.
void write(self_ptr self, store::write_batch batch,
           std::function<void(const caf::error&)> then) {
  auto& st = self->state;
  auto op = st.next_op++;
  auto hdl = caf::actor_cast<registry_actor>(self);
  auto accepted
    = st.commit->submit(std::move(batch), [hdl, op](const caf::error& err) {
        caf::anon_send(hdl, registry_write_done{op, err});
      });
  if (!accepted) {
    then(make_error(ec::overloaded,
                    "the store is not keeping up; try again shortly"));
    return;
  }
  st.in_flight = op;
  st.on_durable = std::move(then);
}

void publish(self_ptr self) {
  auto& st = self->state;
  st.view->publish(std::make_shared<const registry_snapshot>(st.current));
}

caf::error check_adapters_exist(const registry_snapshot& snap,
                                const adapter_selection& sel) {
  if (sel.all)
    return {};
  boost::json::array unknown;
  for (auto& name : sel.names)
    if (snap.adapter(name) == nullptr)
      unknown.emplace_back(name);
  if (unknown.empty())
    return {};
  std::string list;
  for (auto& n : unknown)
    list += (list.empty() ? "" : ", ") + std::string{n.as_string()};
  boost::json::object details{{"field", "adapters"}, {"unknown", unknown}};
  return make_error(ec::invalid_field, "unknown adapters: " + list,
                    boost::json::serialize(details));
}

void save_client(self_ptr self, client_record rec, std::string api_key,
                 std::string secret, reply_fn<client_result> reply) {
  store::write_batch batch;
  batch.put(store::cf::clients, store::keys::client(rec.id), encode(rec));
  write(self, std::move(batch),
        [self, rec, api_key, secret, reply](const caf::error& err) {
          if (err) {
            reply(err);
            return;
          }
          self->state.current.put(std::make_shared<const client_record>(rec));
          publish(self);
          reply(client_result{rec, api_key, secret});
        });
}

void save_adapter(self_ptr self, adapter_record rec,
                  std::shared_ptr<const params_schema> schema,
                  std::string api_key, reply_fn<adapter_result> reply,
                  std::shared_ptr<const template_set> templates = nullptr) {
  store::write_batch batch;
  batch.put(store::cf::adapters, store::keys::adapter(rec.name), encode(rec));
  write(self, std::move(batch),
        [self, rec, schema, api_key, reply, templates](const caf::error& err) {
          if (err) {
            reply(err);
            return;
          }
          auto entry = std::make_shared<const adapter_entry>(
            adapter_entry{rec, schema, templates});
          self->state.current.put(entry);
          publish(self);
          if (self->state.jobs)
            self->send(self->state.jobs, adapter_changed{rec.name, entry});
          reply(adapter_result{rec, api_key});
        });
}

// -- one function per admin request; each runs serialized ------------------

void create_client(self_ptr self, const create_client_request& req) {
  auto& cur = self->state.current;
  auto& spec = req.spec;
  if (cur.client_by_name(spec.name) != nullptr)
    return req.reply(
      field_error(ec::conflict,
                  "a client named '" + spec.name + "' already exists", "name"));
  if (auto err = check_adapters_exist(cur, spec.adapters))
    return req.reply(err);
  client_record rec;
  rec.id = credentials::new_id("cl_");
  rec.name = spec.name;
  rec.adapters = spec.adapters;
  rec.limit = spec.limit;
  rec.blocked = spec.blocked;
  rec.created_ms = rec.updated_ms = clock::now_ms();
  auto key = credentials::new_client_key();
  rec.key_hash = credentials::hash_key(key);
  rec.signing_secret = credentials::new_signing_secret();
  auto secret = rec.signing_secret;
  save_client(self, std::move(rec), std::move(key), std::move(secret),
              req.reply);
}

void patch_client(self_ptr self, const patch_client_request& req) {
  auto& cur = self->state.current;
  auto* old = cur.client(req.id);
  if (old == nullptr)
    return req.reply(not_found("client", req.id));
  auto rec = *old;
  if (req.patch.adapters) {
    if (auto err = check_adapters_exist(cur, *req.patch.adapters))
      return req.reply(err);
    rec.adapters = *req.patch.adapters;
  }
  if (req.patch.blocked)
    rec.blocked = *req.patch.blocked;
  if (req.patch.limit)
    rec.limit = *req.patch.limit;
  rec.updated_ms = clock::now_ms();
  save_client(self, std::move(rec), {}, {}, req.reply);
}

void delete_client(self_ptr self, const delete_client_request& req) {
  if (self->state.current.client(req.id) == nullptr)
    return req.reply(not_found("client", req.id));
  store::write_batch batch;
  batch.erase(store::cf::clients, store::keys::client(req.id));
  write(self, std::move(batch), [self, req](const caf::error& err) {
    if (err)
      return req.reply(err);
    self->state.current.erase_client(req.id);
    publish(self);
    req.reply(caf::unit);
  });
}

void rotate_client_keys(self_ptr self, const rotate_client_keys_request& req) {
  auto* old = self->state.current.client(req.id);
  if (old == nullptr)
    return req.reply(not_found("client", req.id));
  auto rec = *old;
  auto key = credentials::new_client_key();
  rec.key_hash = credentials::hash_key(key);
  rec.signing_secret = credentials::new_signing_secret();
  rec.updated_ms = clock::now_ms();
  auto secret = rec.signing_secret;
  save_client(self, std::move(rec), std::move(key), std::move(secret),
              req.reply);
}

void create_adapter(self_ptr self, const create_adapter_request& req) {
  auto& spec = req.spec;
  if (self->state.current.adapter(spec.name) != nullptr)
    return req.reply(field_error(
      ec::conflict, "an adapter named '" + spec.name + "' already exists",
      "name"));
  if (auto err = validate_adapter_config(spec.type, spec.config))
    return req.reply(err);
  if (auto err = validate_retry(spec.retry))
    return req.reply(err);
  auto schema = params_schema::compile(spec.params_schema);
  if (!schema)
    return req.reply(schema.error());
  adapter_record rec;
  rec.name = spec.name;
  rec.type = spec.type;
  rec.config = spec.config;
  rec.params_schema = spec.params_schema;
  rec.retry = spec.retry;
  rec.default_ttl_s = spec.default_ttl_s;
  rec.concurrency = spec.concurrency;
  rec.blocked = spec.blocked;
  rec.created_ms = rec.updated_ms = clock::now_ms();
  std::string key;
  if (rec.type == adapter_type::external) {
    key = credentials::new_adapter_key();
    rec.key_hash = credentials::hash_key(key);
  }
  save_adapter(self, std::move(rec), std::move(*schema), std::move(key),
               req.reply);
}

void patch_adapter(self_ptr self, const patch_adapter_request& req) {
  auto* old = self->state.current.adapter(req.name);
  if (old == nullptr)
    return req.reply(not_found("adapter", req.name));
  auto rec = old->rec;
  auto schema = old->schema;
  auto& p = req.patch;
  if (p.config) {
    if (auto err = validate_adapter_config(rec.type, *p.config))
      return req.reply(err);
    rec.config = *p.config;
  }
  if (p.params_schema) {
    auto compiled = params_schema::compile(*p.params_schema);
    if (!compiled)
      return req.reply(compiled.error());
    rec.params_schema = *p.params_schema;
    schema = std::move(*compiled);
  }
  if (p.blocked)
    rec.blocked = *p.blocked;
  if (p.retry) {
    auto merged = merge(rec.retry, *p.retry);
    if (auto err = validate_retry(merged))
      return req.reply(err);
    rec.retry = merged;
  }
  if (p.default_ttl_s)
    rec.default_ttl_s = *p.default_ttl_s;
  if (p.concurrency)
    rec.concurrency = *p.concurrency;
  rec.version += 1;
  rec.updated_ms = clock::now_ms();
  save_adapter(self, std::move(rec), std::move(schema), {}, req.reply,
               old->templates);
}

void delete_adapter(self_ptr self, const delete_adapter_request& req) {
  auto& cur = self->state.current;
  if (cur.adapter(req.name) == nullptr)
    return req.reply(not_found("adapter", req.name));
  store::write_batch batch;
  batch.erase(store::cf::adapters, store::keys::adapter(req.name));
  if (auto& ts = cur.adapter(req.name)->templates)
    for (auto& [name, versions] : ts->by_name)
      for (auto& [v, t] : versions)
        batch.erase(store::cf::templates, template_key(req.name, name, v));
  // Clients lose the name too, in the same batch: a later adapter of the same
  // name must not inherit their permission.
  std::vector<std::shared_ptr<const client_record>> touched;
  for (auto& [id, c] : cur.clients) {
    if (c->adapters.all || !c->adapters.allows(req.name))
      continue;
    auto rec = *c;
    std::erase(rec.adapters.names, req.name);
    rec.updated_ms = clock::now_ms();
    batch.put(store::cf::clients, store::keys::client(rec.id), encode(rec));
    touched.push_back(std::make_shared<const client_record>(std::move(rec)));
  }
  write(self, std::move(batch), [self, req, touched](const caf::error& err) {
    if (err)
      return req.reply(err);
    auto& cur = self->state.current;
    cur.erase_adapter(req.name);
    for (auto& c : touched)
      cur.put(c);
    publish(self);
    if (self->state.jobs)
      self->send(self->state.jobs, adapter_changed{req.name, nullptr});
    req.reply(caf::unit);
  });
}

void rotate_adapter_key(self_ptr self, const rotate_adapter_key_request& req) {
  auto* old = self->state.current.adapter(req.name);
  if (old == nullptr)
    return req.reply(not_found("adapter", req.name));
  if (old->rec.type != adapter_type::external)
    return req.reply(make_error(ec::conflict,
                                "adapter '" + req.name + "' is of type "
                                  + std::string{to_string(old->rec.type)}
                                  + "; only external adapters have keys"));
  auto rec = old->rec;
  auto key = credentials::new_adapter_key();
  rec.key_hash = credentials::hash_key(key);
  rec.version += 1;
  rec.updated_ms = clock::now_ms();
  save_adapter(self, std::move(rec), old->schema, std::move(key), req.reply,
               old->templates);
}

void put_template(self_ptr self, const put_template_request& req) {
  auto* a = self->state.current.adapter(req.adapter);
  if (a == nullptr)
    return req.reply(not_found("adapter", req.adapter));
  if (!renders_templates(a->rec.type))
    return req.reply(
      make_error(ec::conflict,
                 "adapter '" + req.adapter + "' is of type "
                   + std::string{to_string(a->rec.type)}
                   + "; templates are rendered by the smtp, telegram, sms "
                     "and mattermost channels only"));
  auto& spec = req.spec;
  auto* latest = a->templates ? a->templates->find(spec.name, 0) : nullptr;
  if (!req.update && latest != nullptr)
    return req.reply(field_error(ec::conflict,
                                 "adapter '" + req.adapter
                                   + "' already has a template named '"
                                   + spec.name + "'; PUT a new version",
                                 "name"));
  if (req.update && latest == nullptr)
    return req.reply(not_found("template", spec.name));
  if (auto err = check_template_parts(spec.parts))
    return req.reply(err);
  template_record rec;
  rec.adapter = req.adapter;
  rec.name = spec.name;
  rec.version = latest != nullptr ? latest->version + 1 : 1;
  rec.parts = spec.parts;
  rec.strict = spec.strict;
  rec.created_ms = clock::now_ms();
  store::write_batch batch;
  batch.put(store::cf::templates,
            template_key(rec.adapter, rec.name, rec.version), encode(rec));
  write(self, std::move(batch), [self, rec, req](const caf::error& err) {
    if (err)
      return req.reply(err);
    auto* a = self->state.current.adapter(req.adapter);
    auto set = a->templates ? std::make_shared<template_set>(*a->templates)
                            : std::make_shared<template_set>();
    set->by_name[rec.name][rec.version]
      = std::make_shared<const template_record>(rec);
    auto entry = std::make_shared<adapter_entry>(*a);
    entry->templates = std::move(set);
    std::shared_ptr<const adapter_entry> published = std::move(entry);
    self->state.current.put(published);
    publish(self);
    if (self->state.jobs)
      self->send(self->state.jobs, adapter_changed{req.adapter, published});
    req.reply(rec);
  });
}

void delete_template(self_ptr self, const delete_template_request& req) {
  auto* a = self->state.current.adapter(req.adapter);
  if (a == nullptr)
    return req.reply(not_found("adapter", req.adapter));
  if (!a->templates || a->templates->find(req.name, 0) == nullptr)
    return req.reply(not_found("template", req.name));
  store::write_batch batch;
  for (auto& [v, t] : a->templates->by_name.at(req.name))
    batch.erase(store::cf::templates, template_key(req.adapter, req.name, v));
  write(self, std::move(batch), [self, req](const caf::error& err) {
    if (err)
      return req.reply(err);
    auto* a = self->state.current.adapter(req.adapter);
    auto set = std::make_shared<template_set>(*a->templates);
    set->by_name.erase(req.name);
    auto entry = std::make_shared<adapter_entry>(*a);
    entry->templates = std::move(set);
    std::shared_ptr<const adapter_entry> published = std::move(entry);
    self->state.current.put(published);
    publish(self);
    if (self->state.jobs)
      self->send(self->state.jobs, adapter_changed{req.adapter, published});
    req.reply(caf::unit);
  });
}

/// The handler of a request that changes the registry: `apply` runs once
/// the writes before it are durable (run_serialized).
template <class Request>
auto serialized(self_ptr self, void (*apply)(self_ptr, const Request&)) {
  return [self, apply](Request& req) {
    run_serialized(self, [self, apply, req] {
      apply(self, req);
    });
  };
}

} // namespace

registry_actor::behavior_type
registry(registry_actor::stateful_pointer<registry_state> self,
         std::shared_ptr<registry_view> view, store::group_commit* commit,
         job_manager_actor jobs) {
  self->state.jobs = std::move(jobs);
  self->state.view = std::move(view);
  self->state.commit = commit;
  self->state.current = *self->state.view->get();
  return {
    serialized(self, create_client),
    serialized(self, patch_client),
    serialized(self, delete_client),
    serialized(self, rotate_client_keys),
    serialized(self, create_adapter),
    serialized(self, patch_adapter),
    serialized(self, delete_adapter),
    serialized(self, rotate_adapter_key),
    serialized(self, put_template),
    serialized(self, delete_template),
    [self](registry_write_done& done) {
      auto& st = self->state;
      if (done.op != st.in_flight) {
        log::error() << "registry: unexpected store answer for op " << done.op;
        return;
      }
      auto then = std::move(st.on_durable);
      st.on_durable = nullptr;
      st.in_flight = 0;
      if (done.err)
        log::error() << "registry: write failed: " << message_of(done.err);
      then(done.err);
      run_waiting(self);
    },
  };
}

} // namespace ns
