#include "actors/schema.hpp"

#include <exception>

#include <boost/json/serialize.hpp>
#include <valijson/adapters/boost_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "config/error.hpp"

namespace ns {

struct params_schema::impl {
  boost::json::value source;
  valijson::Schema schema;
  /// `{}` (or `true`): every document conforms. An adapter without a
  /// params_schema has this one, and then no job pays for valijson.
  bool accepts_all = false;
};

params_schema::params_schema(std::unique_ptr<impl> ptr)
  : impl_(std::move(ptr)) {
}

params_schema::~params_schema() = default;

namespace {

caf::error invalid(std::string why) {
  return make_error(ec::invalid_field,
                    "params_schema is not a valid JSON Schema: " + why,
                    R"({"field":"params_schema"})");
}

// valijson names steps "[name]" and "[3]"; a JSON pointer reads better.
std::string to_pointer(const std::vector<std::string>& context) {
  std::string out;
  for (auto& step : context) {
    if (step == "<root>")
      continue;
    std::string name = step;
    if (name.size() >= 2 && name.front() == '[' && name.back() == ']')
      name = name.substr(1, name.size() - 2);
    out += '/';
    for (char c : name) {
      if (c == '~')
        out += "~0";
      else if (c == '/')
        out += "~1";
      else
        out += c;
    }
  }
  return out;
}

} // namespace

caf::expected<std::shared_ptr<const params_schema>>
params_schema::compile(const boost::json::value& schema) {
  if (!schema.is_object() && !schema.is_bool())
    return invalid("it must be a JSON object (or true/false)");
  auto st = std::make_unique<impl>();
  // valijson 1.0 ignores a boolean root schema; spell it as an object.
  if (schema.is_bool())
    st->source = schema.get_bool()
      ? boost::json::value(boost::json::object{})
      : boost::json::value(boost::json::object{{"not", boost::json::object{}}});
  else
    st->source = schema;
  try {
    valijson::SchemaParser parser{valijson::SchemaParser::kDraft7};
    valijson::adapters::BoostJsonAdapter adapter{st->source};
    parser.populateSchema(adapter, st->schema);
  } catch (const std::exception& e) {
    return invalid(e.what());
  }
  st->accepts_all = st->source.is_object() && st->source.get_object().empty();
  return std::shared_ptr<const params_schema>{new params_schema(std::move(st))};
}

std::vector<params_schema::violation>
params_schema::check(const boost::json::value& doc) const {
  std::vector<violation> out;
  if (impl_->accepts_all)
    return out;
  valijson::Validator validator;
  valijson::adapters::BoostJsonAdapter adapter{doc};
  // First without collecting errors: valijson then stops at the first one
  // and builds no messages, and most documents conform. A failing document
  // is checked again to name every violation.
  if (validator.validate(impl_->schema, adapter, nullptr))
    return out;
  valijson::ValidationResults results;
  validator.validate(impl_->schema, adapter, &results);
  valijson::ValidationResults::Error err;
  while (results.popError(err))
    out.push_back(violation{to_pointer(err.context), err.description});
  // valijson 1.0 fails a document on propertyNames without recording why
  // (it checks each name with a validator that collects nothing), so a
  // failure may come without errors; an empty list would read as a pass.
  if (out.empty())
    out.push_back(
      violation{"",
                "the document does not match the schema (a property name that "
                "its propertyNames refuses)"});
  return out;
}

} // namespace ns
