#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/json/value.hpp>
#include <caf/expected.hpp>

namespace ns {

/// An adapter's params schema (JSON Schema draft 7), compiled once per adapter
/// version so that no job request parses a schema.
class params_schema {
public:
  struct violation {
    std::string path;    // JSON pointer of the offending value, "" for root
    std::string message; // what is wrong with it
  };

  /// Compiles `schema`; an invalid schema is an ec::invalid_field error naming
  /// the problem.
  static caf::expected<std::shared_ptr<const params_schema>>
  compile(const boost::json::value& schema);

  ~params_schema();

  /// Every violation of `doc`, empty when it conforms.
  std::vector<violation> check(const boost::json::value& doc) const;

private:
  struct impl;
  explicit params_schema(std::unique_ptr<impl> ptr);
  std::unique_ptr<impl> impl_;
};

} // namespace ns
