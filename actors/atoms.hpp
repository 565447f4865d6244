#pragma once

#include <caf/atom.hpp>

// Atoms of ns (CAF 0.17: at most 10 characters).

namespace ns::atom {

using expire = caf::atom_constant<caf::atom("expire")>;
using wake = caf::atom_constant<caf::atom("wake")>;
using retry = caf::atom_constant<caf::atom("retry")>;
using get = caf::atom_constant<caf::atom("get")>;
using cancel = caf::atom_constant<caf::atom("cancel")>;
using subscribe = caf::atom_constant<caf::atom("subscribe")>;
using persisted = caf::atom_constant<caf::atom("persisted")>;
using adapter_gone = caf::atom_constant<caf::atom("adgone")>;
using tick = caf::atom_constant<caf::atom("tick")>;
using attempt = caf::atom_constant<caf::atom("attempt")>;
using due = caf::atom_constant<caf::atom("due")>;
using attach = caf::atom_constant<caf::atom("attach")>;
using detach = caf::atom_constant<caf::atom("detach")>;
using requeue = caf::atom_constant<caf::atom("requeue")>;
using heartbeat = caf::atom_constant<caf::atom("heartbeat")>;
using close = caf::atom_constant<caf::atom("close")>;

} // namespace ns::atom
