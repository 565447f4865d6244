#pragma once

#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "actors/instance_board.hpp"
#include "actors/messages.hpp"
#include "actors/model.hpp"

// The JSON views of clients and adapters that the admin API returns. Pure.

namespace ns::net {

/// A client without credentials; with them when `res` carries fresh ones.
boost::json::object client_json(const client_record& c);
boost::json::object client_json(const client_result& res);

/// The admin view of an adapter: config secrets masked, never the key hash.
boost::json::object adapter_admin_json(const adapter_record& a);
boost::json::object adapter_admin_json(const adapter_result& res);
/// Connected external instances as GET /v1/adapters/{name} lists them.
boost::json::array instances_json(const std::vector<instance_view>& xs);

/// What a client service may see of an adapter it is allowed to use.
boost::json::object adapter_client_json(const adapter_record& a);

} // namespace ns::net
