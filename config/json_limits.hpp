#pragma once

#include <cstddef>

#include <boost/json/parse_options.hpp>

// How deep JSON may nest. One limit for what users send, refused at the HTTP
// edge; every reader of JSON that ns wrote from it (stored records, frames to
// adapters, templates, schemas) accepts more, so that nothing the edge took
// can fail to load later. Header-only: the adapter protocol codec uses it.

namespace ns {

/// The deepest nesting of objects and arrays a request body may have; the
/// body itself is level 1 (so a job's `params` may hold 62 more levels).
inline constexpr size_t max_json_depth = 64;

/// What the readers of ns's own JSON accept: the user's levels plus the few
/// that a stored record or a protocol frame wraps around them.
inline constexpr size_t stored_json_depth = max_json_depth + 16;

/// Boost.JSON options for those readers (its own default depth is 32).
inline boost::json::parse_options stored_json_options() {
  boost::json::parse_options opts;
  opts.max_depth = stored_json_depth;
  return opts;
}

} // namespace ns
