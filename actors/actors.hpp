#pragma once

#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/messages.hpp"

// Every typed actor interface of ns. net/ holds these handles and nothing else
// of the actors.

namespace ns {

/// Owns clients and adapters: validates admin changes against the current
/// state, makes them durable, then publishes a new registry_snapshot.
using registry_actor = caf::typed_actor<
  caf::reacts_to<create_client_request>, caf::reacts_to<patch_client_request>,
  caf::reacts_to<delete_client_request>,
  caf::reacts_to<rotate_client_keys_request>,
  caf::reacts_to<create_adapter_request>, caf::reacts_to<patch_adapter_request>,
  caf::reacts_to<delete_adapter_request>,
  caf::reacts_to<rotate_adapter_key_request>,
  caf::reacts_to<registry_write_done>>;

} // namespace ns
