#include "actors/registry.hpp"

#include "actors/credentials.hpp"
#include "config/error.hpp"

namespace ns {

const client_record* registry_snapshot::client(std::string_view id) const {
  auto i = clients.find(std::string{id});
  return i != clients.end() ? i->second.get() : nullptr;
}

const client_record*
registry_snapshot::client_by_name(std::string_view name) const {
  for (auto& [id, c] : clients)
    if (c->name == name)
      return c.get();
  return nullptr;
}

const adapter_entry* registry_snapshot::adapter(std::string_view name) const {
  auto i = adapters.find(std::string{name});
  return i != adapters.end() ? i->second.get() : nullptr;
}

const client_record*
registry_snapshot::client_by_key(std::string_view api_key) const {
  auto hash = credentials::hash_key(api_key);
  auto i = client_id_by_key_hash.find(hash);
  if (i == client_id_by_key_hash.end())
    return nullptr;
  auto* c = client(i->second);
  if (c == nullptr || !credentials::equal_constant_time(c->key_hash, hash))
    return nullptr;
  return c;
}

const adapter_entry*
registry_snapshot::adapter_by_key(std::string_view key) const {
  auto hash = credentials::hash_key(key);
  auto i = adapter_by_key_hash.find(hash);
  if (i == adapter_by_key_hash.end())
    return nullptr;
  auto* a = adapter(i->second);
  if (a == nullptr || !credentials::equal_constant_time(a->rec.key_hash, hash))
    return nullptr;
  return a;
}

void registry_snapshot::put(std::shared_ptr<const client_record> c) {
  erase_client(c->id);
  client_id_by_key_hash[c->key_hash] = c->id;
  clients[c->id] = std::move(c);
}

void registry_snapshot::erase_client(std::string_view id) {
  auto i = clients.find(std::string{id});
  if (i == clients.end())
    return;
  client_id_by_key_hash.erase(i->second->key_hash);
  clients.erase(i);
}

void registry_snapshot::put(std::shared_ptr<const adapter_entry> a) {
  erase_adapter(a->rec.name);
  if (!a->rec.key_hash.empty())
    adapter_by_key_hash[a->rec.key_hash] = a->rec.name;
  adapters[a->rec.name] = std::move(a);
}

void registry_snapshot::erase_adapter(std::string_view name) {
  auto i = adapters.find(std::string{name});
  if (i == adapters.end())
    return;
  if (!i->second->rec.key_hash.empty())
    adapter_by_key_hash.erase(i->second->rec.key_hash);
  adapters.erase(i);
}

registry_view::registry_view()
  : current_(std::make_shared<const registry_snapshot>()) {
}

std::shared_ptr<const registry_snapshot> registry_view::get() const {
  return current_.load(std::memory_order_acquire);
}

void registry_view::publish(std::shared_ptr<const registry_snapshot> next) {
  current_.store(std::move(next), std::memory_order_release);
}

namespace {

/// Decodes each record of `family` and hands it to `take`; stops at the
/// first record that does not decode or that `take` refuses.
template <class Decode, class Take>
caf::error load_each(const store::db& db, store::cf family, Decode decode,
                     Take take) {
  caf::error failure;
  auto err = db.scan(family, "", [&](std::string_view, std::string_view value) {
    auto rec = decode(value);
    if (!rec) {
      failure = rec.error();
      return false;
    }
    failure = take(std::move(*rec));
    return !failure;
  });
  return err ? err : failure;
}

/// Attaches the stored templates to their adapters.
caf::expected<registry_snapshot> load_templates(const store::db& db,
                                                registry_snapshot snap) {
  std::map<std::string, std::shared_ptr<template_set>> sets;
  auto err = load_each(
    db, store::cf::templates, decode_template, [&](template_record rec) {
      auto& set = sets[rec.adapter];
      if (!set)
        set = std::make_shared<template_set>();
      auto name = rec.name;
      auto version = rec.version;
      set->by_name[name][version]
        = std::make_shared<const template_record>(std::move(rec));
      return caf::error{};
    });
  if (err)
    return err;
  for (auto& [adapter, set] : sets) {
    auto* a = snap.adapter(adapter);
    if (a == nullptr)
      continue; // left over from a deleted adapter
    auto entry = std::make_shared<adapter_entry>(*a);
    entry->templates = std::move(set);
    snap.put(std::move(entry));
  }
  return snap;
}

} // namespace

caf::expected<registry_snapshot> load_registry(const store::db& db) {
  registry_snapshot snap;
  auto err
    = load_each(db, store::cf::clients, decode_client, [&](client_record rec) {
        snap.put(std::make_shared<const client_record>(std::move(rec)));
        return caf::error{};
      });
  if (err)
    return err;
  err = load_each(
    db, store::cf::adapters, decode_adapter, [&](adapter_record rec) {
      auto schema = params_schema::compile(rec.params_schema);
      if (!schema)
        return make_error(ec::store_failure,
                          "stored schema of adapter " + rec.name
                            + " no longer compiles: "
                            + message_of(schema.error()));
      snap.put(std::make_shared<const adapter_entry>(
        adapter_entry{std::move(rec), std::move(*schema), nullptr}));
      return caf::error{};
    });
  if (err)
    return err;
  return load_templates(db, std::move(snap));
}

} // namespace ns
