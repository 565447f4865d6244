#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include <caf/expected.hpp>

#include "actors/model.hpp"
#include "actors/schema.hpp"
#include "actors/templates.hpp"
#include "store/db.hpp"

namespace ns {

/// An adapter with its params schema compiled for this version.
struct adapter_entry {
  adapter_record rec;
  std::shared_ptr<const params_schema> schema;
  /// Its message templates, every version (null: none yet).
  std::shared_ptr<const template_set> templates;
};

/// An immutable picture of every client and adapter. The registry actor
/// publishes a new one after each durable change; HTTP threads read it without
/// waiting for anyone (authentication, listings).
struct registry_snapshot {
  /// By id; ids sort by creation time.
  std::map<std::string, std::shared_ptr<const client_record>> clients;
  std::unordered_map<std::string, std::string> client_id_by_key_hash;
  /// By name.
  std::map<std::string, std::shared_ptr<const adapter_entry>> adapters;
  std::unordered_map<std::string, std::string> adapter_by_key_hash;

  const client_record* client(std::string_view id) const;
  const client_record* client_by_name(std::string_view name) const;
  const adapter_entry* adapter(std::string_view name) const;

  /// The client whose API key is `api_key`, or nullptr.
  const client_record* client_by_key(std::string_view api_key) const;
  /// The external adapter whose key is `key`, or nullptr.
  const adapter_entry* adapter_by_key(std::string_view key) const;

  void put(std::shared_ptr<const client_record> c);
  void erase_client(std::string_view id);
  void put(std::shared_ptr<const adapter_entry> a);
  void erase_adapter(std::string_view name);
};

/// The current snapshot, swapped atomically.
class registry_view {
public:
  registry_view();
  std::shared_ptr<const registry_snapshot> get() const;
  void publish(std::shared_ptr<const registry_snapshot> next);

private:
  std::atomic<std::shared_ptr<const registry_snapshot>> current_;
};

/// Reads every client and adapter from the store and compiles the schemas.
caf::expected<registry_snapshot> load_registry(const store::db& db);

} // namespace ns
