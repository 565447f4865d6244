#include <filesystem>
#include <future>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>
#include <gtest/gtest.h>

#include "actors/credentials.hpp"
#include "actors/registry_actor.hpp"
#include "config/error.hpp"

using namespace ns;

namespace {

/// A real registry actor over a real RocksDB in a temp dir.
struct RegistryActor : ::testing::Test {
  std::filesystem::path dir;
  std::unique_ptr<store::db> db;
  std::unique_ptr<store::group_commit> commit;
  std::shared_ptr<registry_view> view = std::make_shared<registry_view>();
  std::unique_ptr<caf::actor_system_config> cfg;
  std::unique_ptr<caf::actor_system> sys;
  registry_actor registry;

  void SetUp() override {
    dir = std::filesystem::temp_directory_path()
      / ("ns_registry_test_" + std::to_string(::getpid()) + "_"
         + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir);
    start();
  }

  void start() {
    config::store_options opts;
    opts.path = dir.string();
    auto opened = store::db::open(opts);
    ASSERT_TRUE(opened) << message_of(opened.error());
    db = std::move(*opened);
    auto snap = load_registry(*db);
    ASSERT_TRUE(snap);
    view->publish(std::make_shared<const registry_snapshot>(std::move(*snap)));
    commit = std::make_unique<store::group_commit>(*db, 64, 1000);
    cfg = std::make_unique<caf::actor_system_config>();
    cfg->set("scheduler.max-threads", size_t{2});
    sys = std::make_unique<caf::actor_system>(*cfg);
    registry
      = sys->spawn(ns::registry, view, commit.get(), job_manager_actor{});
  }

  void stop() {
    commit->stop();
    caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
    registry = nullptr;
    sys.reset();
    cfg.reset();
    commit.reset();
    db.reset();
  }

  void TearDown() override {
    if (sys)
      stop();
    std::filesystem::remove_all(dir);
  }

  template <class T, class Request>
  caf::expected<T> ask(Request req) {
    auto done = std::make_shared<std::promise<caf::expected<T>>>();
    auto fut = done->get_future();
    req.reply = [done](caf::expected<T> res) {
      done->set_value(std::move(res));
    };
    caf::anon_send(registry, std::move(req));
    return fut.get();
  }

  caf::expected<client_result> create_client(std::string name) {
    client_spec spec;
    spec.name = std::move(name);
    spec.adapters.all = true;
    return ask<client_result>(create_client_request{spec, {}});
  }
};

} // namespace

TEST_F(RegistryActor, CreatedClientIsPublishedAndDurable) {
  auto res = create_client("billing");
  ASSERT_TRUE(res) << message_of(res.error());
  EXPECT_EQ(res->api_key.rfind("nsk_", 0), 0u);
  // Published before the answer: read-your-writes for the next request.
  auto* c = view->get()->client_by_key(res->api_key);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->name, "billing");
  EXPECT_EQ(c->key_hash, credentials::hash_key(res->api_key));
  stop();
  start();
  EXPECT_NE(view->get()->client_by_key(res->api_key), nullptr);
}

TEST_F(RegistryActor, DuplicateNameIsConflict) {
  ASSERT_TRUE(create_client("a"));
  auto again = create_client("a");
  ASSERT_FALSE(again);
  EXPECT_EQ(code_of(again.error()), ec::conflict);
}

TEST_F(RegistryActor, ConcurrentPatchesAreNotLost) {
  auto created = create_client("x");
  ASSERT_TRUE(created);
  auto id = created->client.id;
  // Two patches in flight at once, on different fields: both must stick.
  auto p1 = std::make_shared<std::promise<caf::expected<client_result>>>();
  auto p2 = std::make_shared<std::promise<caf::expected<client_result>>>();
  client_patch a;
  a.blocked = true;
  client_patch b;
  b.limit = std::optional<rate_limit>{rate_limit{7, 9}};
  caf::anon_send(registry, patch_client_request{id, a, [p1](auto r) {
                                                  p1->set_value(std::move(r));
                                                }});
  caf::anon_send(registry, patch_client_request{id, b, [p2](auto r) {
                                                  p2->set_value(std::move(r));
                                                }});
  ASSERT_TRUE(p1->get_future().get());
  ASSERT_TRUE(p2->get_future().get());
  stop();
  start();
  auto* c = view->get()->client(id);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->blocked);
  ASSERT_TRUE(c->limit);
  EXPECT_EQ(c->limit->rps, 7u);
}

TEST_F(RegistryActor, RotationRetiresTheOldKey) {
  auto created = create_client("r");
  ASSERT_TRUE(created);
  auto rotated
    = ask<client_result>(rotate_client_keys_request{created->client.id, {}});
  ASSERT_TRUE(rotated);
  EXPECT_NE(rotated->api_key, created->api_key);
  EXPECT_NE(rotated->signing_secret, created->signing_secret);
  auto snap = view->get();
  EXPECT_EQ(snap->client_by_key(created->api_key), nullptr);
  EXPECT_NE(snap->client_by_key(rotated->api_key), nullptr);
}

TEST_F(RegistryActor, ExternalAdaptersGetKeysOthersDoNot) {
  adapter_spec ext;
  ext.name = "ext";
  ext.type = adapter_type::external;
  auto a = ask<adapter_result>(create_adapter_request{ext, {}});
  ASSERT_TRUE(a) << message_of(a.error());
  EXPECT_EQ(a->api_key.rfind("nsa_", 0), 0u);
  EXPECT_NE(view->get()->adapter_by_key(a->api_key), nullptr);
  adapter_spec hook;
  hook.name = "hook";
  hook.type = adapter_type::webhook;
  hook.config["url"] = "http://127.0.0.1:1/x";
  auto h = ask<adapter_result>(create_adapter_request{hook, {}});
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->api_key.empty());
  auto rot = ask<adapter_result>(rotate_adapter_key_request{"hook", {}});
  ASSERT_FALSE(rot);
  EXPECT_EQ(code_of(rot.error()), ec::conflict);
}

TEST_F(RegistryActor, ClientsMayOnlyNameExistingAdapters) {
  client_spec spec;
  spec.name = "c";
  spec.adapters.names = {"nope"};
  auto res = ask<client_result>(create_client_request{spec, {}});
  ASSERT_FALSE(res);
  EXPECT_EQ(code_of(res.error()), ec::invalid_field);
  EXPECT_NE(details_of(res.error()).find("nope"), std::string::npos);
}

TEST_F(RegistryActor, MissingRecordsAreNotFound) {
  auto res = ask<caf::unit_t>(delete_client_request{"cl_missing", {}});
  ASSERT_FALSE(res);
  EXPECT_EQ(code_of(res.error()), ec::not_found);
  auto p = ask<adapter_result>(patch_adapter_request{"missing", {}, {}});
  ASSERT_FALSE(p);
  EXPECT_EQ(code_of(p.error()), ec::not_found);
}
