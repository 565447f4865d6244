#include "net/json_fields.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "config/error.hpp"
#include "config/json_limits.hpp"

namespace ns::net::json_fields {

namespace {

/// This thread's parser, or null when it cannot get its buffers.
simdjson::dom::parser* thread_parser() {
  // One parser per thread: it keeps its buffers between requests. The depth
  // limit comes with the first buffers: a deeper body fails in the parse
  // itself, before any tree is built.
  constexpr size_t depth = max_json_depth;
  thread_local simdjson::dom::parser parser;
  if (parser.max_depth() != depth
      && parser.allocate(64 * 1024, depth) != simdjson::SUCCESS)
    return nullptr;
  return &parser;
}

// Repeated keys: JSON allows them, but readers disagree on which one
// counts (ns's schema check saw the first, the receiver both), so the edge
// refuses them. One pass over each object both compares its keys and
// descends into its containers; objects of up to 16 keys (almost all)
// compare pairwise without allocating, larger ones sort their keys first.
constexpr size_t pairwise_max = 16;

/// A key that `obj` (of more than pairwise_max keys) holds twice, if any.
std::optional<std::string_view> repeated_by_sorting(const object& obj) {
  thread_local std::vector<std::string_view> keys;
  keys.clear();
  for (auto field : obj)
    keys.push_back(field.key);
  std::sort(keys.begin(), keys.end());
  auto it = std::adjacent_find(keys.begin(), keys.end());
  if (it == keys.end())
    return std::nullopt;
  return *it;
}

bool is_container(element v) {
  auto t = v.type();
  return t == element_type::OBJECT || t == element_type::ARRAY;
}

/// Prepends `step` ("name" or "[3]") to the path `rest` of a field below it.
void prepend(std::string& rest, std::string step) {
  if (!rest.empty() && rest.front() != '[')
    step += '.';
  rest.insert(0, step);
}

/// True, and the path of the repeated key in `path` ("params.a[2].text"),
/// when some object in the container `v` repeats a key. The parser already
/// bounded the depth, so the recursion is bounded too.
bool find_repeated_key(element v, std::string& path) {
  if (v.type() == element_type::ARRAY) {
    size_t i = 0;
    auto arr = v.get_array().value_unsafe();
    for (auto x : arr) {
      if (is_container(x) && find_repeated_key(x, path)) {
        prepend(path, "[" + std::to_string(i) + "]");
        return true;
      }
      ++i;
    }
    return false;
  }
  auto obj = v.get_object().value_unsafe();
  auto pairwise = obj.size() <= pairwise_max;
  if (!pairwise)
    if (auto key = repeated_by_sorting(obj)) {
      path = std::string{*key};
      return true;
    }
  std::array<std::string_view, pairwise_max> seen;
  size_t n = 0;
  for (auto field : obj) {
    if (pairwise) {
      for (size_t j = 0; j < n; ++j)
        if (seen[j] == field.key) {
          path = std::string{field.key};
          return true;
        }
      seen[n++] = field.key;
    }
    if (is_container(field.value) && find_repeated_key(field.value, path)) {
      prepend(path, std::string{field.key});
      return true;
    }
  }
  return false;
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
  auto* parser = thread_parser();
  if (parser == nullptr)
    return make_error(ec::overloaded, "no memory to parse the request body");
  element doc;
  if (auto err = parser->parse(body.data(), body.size()).get(doc)) {
    if (err == simdjson::DEPTH_ERROR)
      return make_error(ec::malformed_json,
                        "the request body nests objects and arrays deeper "
                        "than "
                          + std::to_string(max_json_depth)
                          + " levels (the body itself is level 1)");
    return make_error(ec::malformed_json,
                      std::string{"the request body is not "
                                  "valid JSON: "}
                        + simdjson::error_message(err));
  }
  object obj;
  if (doc.get_object().get(obj))
    return make_error(ec::malformed_json,
                      "the request body must be a JSON object");
  if (std::string path; find_repeated_key(doc, path))
    return invalid(path,
                   "the key '" + path
                     + "' appears twice; the keys of an object must "
                       "be unique");
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

boost::json::object to_boost(const object& in) {
  boost::json::object out;
  out.reserve(in.size());
  for (auto field : in) // parse_body refused repeated keys
    out[field.key] = to_boost(field.value);
  return out;
}

boost::json::value to_boost(element v) {
  // A walk over simdjson's tree, not a second parse of its text: on the
  // accept path every job's params take this way to the schema check.
  switch (v.type()) {
    case element_type::OBJECT: return to_boost(v.get_object().value_unsafe());
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
