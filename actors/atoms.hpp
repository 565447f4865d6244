#pragma once

#include <caf/atom.hpp>

// Atoms of ns (CAF 0.17: at most 10 characters).

namespace ns::atom {

using wake = caf::atom_constant<caf::atom("wake")>;
using retry = caf::atom_constant<caf::atom("retry")>;
using persisted = caf::atom_constant<caf::atom("persisted")>;
using tick = caf::atom_constant<caf::atom("tick")>;
using attempt = caf::atom_constant<caf::atom("attempt")>;
using due = caf::atom_constant<caf::atom("due")>;
using attach = caf::atom_constant<caf::atom("attach")>;
using detach = caf::atom_constant<caf::atom("detach")>;
using heartbeat = caf::atom_constant<caf::atom("heartbeat")>;
using close = caf::atom_constant<caf::atom("close")>;

} // namespace ns::atom
