#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "net/http_errors.hpp"

using namespace ns;
using namespace ns::net;

TEST(HttpErrors, StatusesFollowTheContract) {
  EXPECT_EQ(status_of(ec::malformed_json), 400u);
  EXPECT_EQ(status_of(ec::invalid_field), 400u);
  EXPECT_EQ(status_of(ec::unauthorized), 401u);
  EXPECT_EQ(status_of(ec::client_blocked), 403u);
  EXPECT_EQ(status_of(ec::not_found), 404u);
  EXPECT_EQ(status_of(ec::method_not_allowed), 405u);
  EXPECT_EQ(status_of(ec::conflict), 409u);
  EXPECT_EQ(status_of(ec::payload_too_large), 413u);
  EXPECT_EQ(status_of(ec::unsupported_media_type), 415u);
  EXPECT_EQ(status_of(ec::invalid_params), 422u);
  EXPECT_EQ(status_of(ec::rate_limited), 429u);
  EXPECT_EQ(status_of(ec::header_too_large), 431u);
  EXPECT_EQ(status_of(ec::overloaded), 503u);
}

TEST(HttpErrors, BodyHasCodeMessageDetails) {
  auto res = error_response(ec::invalid_field, "field \"x\" is bad",
                            R"({"field":"x"})");
  EXPECT_EQ(res.status, 400u);
  auto body = boost::json::parse(res.body).as_object();
  auto& err = body.at("error").as_object();
  EXPECT_EQ(err.at("code").as_string(), "invalid_field");
  EXPECT_EQ(err.at("message").as_string(), "field \"x\" is bad");
  EXPECT_EQ(err.at("details").as_object().at("field").as_string(), "x");
}

TEST(HttpErrors, OverloadAsksToRetryLater) {
  auto res = error_response(ec::overloaded, "busy");
  EXPECT_EQ(res.status, 503u);
  ASSERT_EQ(res.headers.size(), 1u);
  EXPECT_EQ(res.headers[0].first, "Retry-After");
  auto body = boost::json::parse(res.body).as_object();
  EXPECT_TRUE(body.at("error").as_object().at("details").as_object().empty());
}
