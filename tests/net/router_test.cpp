#include <gtest/gtest.h>

#include "net/router.hpp"

using namespace ns::net;
using kind = route_result::kind;

TEST(HttpRouter, FindsEndpointsAndParameters) {
  auto r = route("GET", "/v1/clients/cl_123");
  ASSERT_EQ(r.outcome, kind::found);
  EXPECT_EQ(r.ep, endpoint::get_client);
  EXPECT_EQ(r.param, "cl_123");
  r = route("POST", "/v1/adapters/tg/keys");
  ASSERT_EQ(r.outcome, kind::found);
  EXPECT_EQ(r.ep, endpoint::rotate_adapter_key);
  EXPECT_EQ(r.param, "tg");
  EXPECT_EQ(route("GET", "/healthz").ep, endpoint::healthz);
  EXPECT_EQ(route("GET", "/metrics").ep, endpoint::metrics);
  EXPECT_EQ(route("POST", "/metrics").outcome, kind::method_not_allowed);
  EXPECT_EQ(route("POST", "/v1/clients").ep, endpoint::create_client);
  EXPECT_EQ(route("DELETE", "/v1/adapters/x").ep, endpoint::delete_adapter);
}

TEST(HttpRouter, UnknownPathsAreNotFound) {
  for (auto path : {"/", "/v1", "/v2/clients", "/v1/clients/a/b",
                    "/v1/clients/", "//v1/clients", "v1/clients", "",
                    "/v1/adapters/a/templates/b/c/d/e/f/g/h"})
    EXPECT_EQ(route("GET", path).outcome, kind::not_found) << path;
}

TEST(HttpRouter, WrongMethodListsAllowedOnes) {
  auto r = route("PUT", "/v1/clients");
  ASSERT_EQ(r.outcome, kind::method_not_allowed);
  EXPECT_EQ(r.allow, "GET, POST");
  r = route("POST", "/v1/clients/cl_1");
  ASSERT_EQ(r.outcome, kind::method_not_allowed);
  EXPECT_EQ(r.allow, "GET, PATCH, DELETE");
  EXPECT_EQ(route("GET", "/v1/clients/x/keys").allow, "POST");
}

TEST(HttpRouter, TemplateRoutesCarryTwoParameters) {
  auto r = route("PUT", "/v1/adapters/mail/templates/welcome");
  ASSERT_EQ(r.outcome, kind::found);
  EXPECT_EQ(r.ep, endpoint::update_template);
  EXPECT_EQ(r.param, "mail");
  EXPECT_EQ(r.param2, "welcome");
  r = route("POST", "/v1/adapters/mail/templates");
  ASSERT_EQ(r.outcome, kind::found);
  EXPECT_EQ(r.ep, endpoint::create_template);
  EXPECT_EQ(r.param, "mail");
  EXPECT_TRUE(r.param2.empty());
  EXPECT_EQ(route("PATCH", "/v1/adapters/m/templates/t").allow,
            "GET, PUT, DELETE");
}
