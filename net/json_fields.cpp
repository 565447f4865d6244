#include "net/json_fields.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "config/error.hpp"

namespace ns::net::json_fields {

namespace {

simdjson::dom::parser& thread_parser() {
  // One parser per thread: it keeps its buffers between requests.
  thread_local simdjson::dom::parser parser;
  return parser;
}

} // namespace

caf::error invalid(std::string_view field, std::string message) {
  boost::json::object details{{"field", field}};
  return make_error(ec::invalid_field, std::move(message),
                    boost::json::serialize(details));
}

caf::expected<object> parse_body(std::string_view body) {
  if (body.empty())
    return make_error(ec::malformed_json,
                      "the request body must be a JSON object, got nothing");
  element doc;
  if (auto err = thread_parser().parse(body.data(), body.size()).get(doc))
    return make_error(ec::malformed_json,
                      std::string{"the request body is not "
                                  "valid JSON: "}
                        + simdjson::error_message(err));
  object obj;
  if (doc.get_object().get(obj))
    return make_error(ec::malformed_json,
                      "the request body must be a JSON object");
  return obj;
}

caf::error only_known(const object& obj,
                      std::initializer_list<std::string_view> known,
                      std::string_view prefix) {
  for (auto field : obj) {
    bool ok = false;
    for (auto k : known)
      ok = ok || field.key == k;
    if (!ok) {
      auto name = std::string{prefix} + std::string{field.key};
      return invalid(name, "unknown field '" + name + "'");
    }
  }
  return {};
}

caf::expected<std::string> get_string(element v, std::string_view field,
                                      size_t max_len) {
  std::string_view s;
  if (v.get_string().get(s))
    return invalid(field,
                   "field '" + std::string{field} + "' must be a string");
  if (s.empty() || s.size() > max_len)
    return invalid(field,
                   "field '" + std::string{field} + "' must have 1 to "
                     + std::to_string(max_len) + " characters");
  return std::string{s};
}

caf::expected<bool> get_bool(element v, std::string_view field) {
  bool b = false;
  if (v.get_bool().get(b))
    return invalid(field,
                   "field '" + std::string{field} + "' must be true or false");
  return b;
}

caf::expected<uint64_t> get_uint(element v, std::string_view field,
                                 uint64_t min, uint64_t max) {
  uint64_t n = 0;
  if (v.type() != element_type::UINT64 && v.type() != element_type::INT64)
    return invalid(field,
                   "field '" + std::string{field} + "' must be a whole number");
  if (v.get_uint64().get(n) || n < min || n > max)
    return invalid(field,
                   "field '" + std::string{field} + "' must be between "
                     + std::to_string(min) + " and " + std::to_string(max));
  return n;
}

boost::json::value to_boost(element v) {
  // A walk over simdjson's tree, not a second parse of its text: on the
  // accept path every job's params take this way to the schema check.
  switch (v.type()) {
    case element_type::OBJECT: {
      auto in = v.get_object().value_unsafe();
      boost::json::object out;
      out.reserve(in.size());
      for (auto field : in) // a repeated key: the last one wins, as in parse
        out[field.key] = to_boost(field.value);
      return out;
    }
    case element_type::ARRAY: {
      auto in = v.get_array().value_unsafe();
      boost::json::array out;
      out.reserve(in.size());
      for (auto x : in)
        out.push_back(to_boost(x));
      return out;
    }
    case element_type::STRING:
      return boost::json::string{v.get_string().value_unsafe()};
    case element_type::INT64: return v.get_int64().value_unsafe();
    case element_type::UINT64: return v.get_uint64().value_unsafe();
    case element_type::DOUBLE: return v.get_double().value_unsafe();
    case element_type::BOOL: return v.get_bool().value_unsafe();
    case element_type::NULL_VALUE: break;
  }
  return nullptr;
}

} // namespace ns::net::json_fields
