#include <cstdio>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "config/error.hpp"
#include "config/options.hpp"

using namespace ns;
using namespace std::chrono_literals;

namespace {

std::string write_temp(const std::string& text) {
  char name[] = "/tmp/ns_config_testXXXXXX";
  int fd = mkstemp(name);
  EXPECT_GE(fd, 0);
  std::ofstream out{name};
  out << text;
  close(fd);
  return name;
}

} // namespace

TEST(ConfigLoad, DefaultsAreValid) {
  auto res = config::load({}, {});
  ASSERT_TRUE(res) << message_of(res.error());
  auto& o = res->opts;
  EXPECT_EQ(o.http.listen, "127.0.0.1:8080");
  EXPECT_EQ(o.http.host, "127.0.0.1");
  EXPECT_EQ(o.http.port, 8080);
  EXPECT_EQ(o.http.max_body_bytes.value, 1u << 20);
  EXPECT_EQ(o.store.path, "data");
  EXPECT_TRUE(o.admin.token.empty());
  EXPECT_EQ(o.log.level, log::level::info);
}

TEST(ConfigLoad, PrecedenceIsFileThenEnvThenCommandLine) {
  auto file = write_temp("# comment\n[http]\nlisten = 127.0.0.1:1000\n"
                         "max_body_bytes = 2KiB\nthreads = 3\n"
                         "[log]\nlevel = \"debug\"\n");
  auto res = config::load({"--config=" + file, "--http.listen=127.0.0.1:3000"},
                          {"NS_HTTP_LISTEN=127.0.0.1:2000",
                           "NS_HTTP_MAX_BODY_BYTES=4KiB", "PATH=/bin"});
  std::remove(file.c_str());
  ASSERT_TRUE(res) << message_of(res.error());
  EXPECT_EQ(res->opts.http.port, 3000);                  // command line wins
  EXPECT_EQ(res->opts.http.max_body_bytes.value, 4096u); // env beats file
  EXPECT_EQ(res->opts.http.threads, 3u);                 // file beats default
  EXPECT_EQ(res->opts.log.level, log::level::debug);
  EXPECT_EQ(res->opts.config_file, file);
}

TEST(ConfigLoad, ConfigFileFromEnvironment) {
  auto file = write_temp("[store]\npath = /tmp/elsewhere\n");
  auto res = config::load({}, {"NS_CONFIG=" + file});
  std::remove(file.c_str());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->opts.store.path, "/tmp/elsewhere");
}

TEST(ConfigLoad, UnknownKeyIsNamed) {
  auto res = config::load({"--http.listn=1"}, {});
  ASSERT_FALSE(res);
  EXPECT_EQ(code_of(res.error()), ec::invalid_config);
  EXPECT_NE(message_of(res.error()).find("http.listn"), std::string::npos);
}

TEST(ConfigLoad, UnknownKeyInFileNamesFileAndLine) {
  auto file = write_temp("[http]\n\nlisten = 127.0.0.1:1\nbogus = 1\n");
  auto res = config::load({"--config=" + file}, {});
  std::remove(file.c_str());
  ASSERT_FALSE(res);
  auto msg = message_of(res.error());
  EXPECT_NE(msg.find("http.bogus"), std::string::npos) << msg;
  EXPECT_NE(msg.find(file + ":4"), std::string::npos) << msg;
}

TEST(ConfigLoad, UnknownEnvOfKnownSectionIsAnError) {
  auto res = config::load({}, {"NS_HTTP_LISTN=x"});
  ASSERT_FALSE(res);
  EXPECT_NE(message_of(res.error()).find("NS_HTTP_LISTN"), std::string::npos);
  // Other programs' NS_ variables are left alone.
  EXPECT_TRUE(config::load({}, {"NS_SOMETHING_ELSE=1"}));
}

TEST(ConfigLoad, BadValuesNameTheKey) {
  for (auto [arg, key] : std::vector<std::pair<std::string, std::string>>{
         {"--http.max_body_bytes=lots", "http.max_body_bytes"},
         {"--http.threads=-1", "http.threads"},
         {"--http.read_timeout=soon", "http.read_timeout"},
         {"--log.level=loud", "log.level"},
         {"--http.listen=nohostport", "http.listen"},
         {"--http.listen=127.0.0.1:70000", "http.listen"},
         {"--http.threads=0", "http.threads"},
         {"--store.path=", "store.path"},
         {"--http.max_header_bytes=4GiB", "http.max_header_bytes"},
         {"--http.max_body_bytes=2GiB", "http.max_body_bytes"},
         {"--http.threads=2000000", "http.threads"},
         {"--jobs.max_live=0", "jobs.max_live"},
         {"--jobs.retention=forever", "jobs.retention"},
         {"--node.id=Node-1", "node.id"},
         {"--node.id=", "node.id"},
         {"--security.callback_allow=localhost", "security.callback_allow"},
         {"--security.callback_allow=10.0.0.1/8", "security.callback_allow"},
       }) {
    auto res = config::load({arg}, {});
    ASSERT_FALSE(res) << arg;
    EXPECT_NE(message_of(res.error()).find(key), std::string::npos)
      << arg << ": " << message_of(res.error());
  }
}

TEST(ConfigLoad, CallbackAllowIsAListOfRanges) {
  auto none = config::load({}, {});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->opts.security.callback_allow.empty());
  auto res = config::load({}, {"NS_SECURITY_CALLBACK_ALLOW=127.0.0.0/8,::1"});
  ASSERT_TRUE(res) << message_of(res.error());
  auto& allow = res->opts.security.callback_allow;
  ASSERT_EQ(allow.size(), 2u);
  EXPECT_EQ(to_string(allow[0]), "127.0.0.0/8");
  EXPECT_EQ(to_string(allow[1]), "::1/128");
}

TEST(ConfigLoad, MalformedArgumentsAreRejected) {
  EXPECT_FALSE(config::load({"positional"}, {}));
  EXPECT_FALSE(config::load({"--http.listen"}, {}));
  EXPECT_FALSE(config::load({"--config=/nonexistent/ns.conf"}, {}));
}

TEST(ConfigLoad, HelpAndVersionActions) {
  EXPECT_EQ(config::load({"--help"}, {})->act, config::action::help);
  EXPECT_EQ(config::load({"-h"}, {})->act, config::action::help);
  EXPECT_EQ(config::load({"--version"}, {})->act, config::action::version);
}

TEST(ConfigHelp, ListsEveryKeyWithDefaultAndEnv) {
  auto text = config::help_text();
  for (auto key : {"http.listen", "http.max_body_bytes", "store.path",
                   "admin.token", "log.level", "actors.threads"})
    EXPECT_NE(text.find(std::string{"--"} + key), std::string::npos) << key;
  EXPECT_NE(text.find("[1MiB]"), std::string::npos);
  EXPECT_NE(text.find("NS_HTTP_MAX_BODY_BYTES"), std::string::npos);
}

TEST(ConfigUnits, Bytes) {
  uint64_t n = 0;
  EXPECT_TRUE(config::parse_bytes("1MiB", n));
  EXPECT_EQ(n, 1u << 20);
  EXPECT_TRUE(config::parse_bytes("64KiB", n));
  EXPECT_EQ(n, 64u << 10);
  EXPECT_TRUE(config::parse_bytes("4096", n));
  EXPECT_EQ(n, 4096u);
  EXPECT_TRUE(config::parse_bytes("2 GiB", n));
  EXPECT_EQ(n, 2ull << 30);
  EXPECT_FALSE(config::parse_bytes("", n));
  EXPECT_FALSE(config::parse_bytes("MiB", n));
  EXPECT_FALSE(config::parse_bytes("1 parsec", n));
  EXPECT_FALSE(config::parse_bytes("99999999999999999999GiB", n));
}

TEST(ConfigUnits, Durations) {
  config::millis d{};
  EXPECT_TRUE(config::parse_duration("250ms", d));
  EXPECT_EQ(d, 250ms);
  EXPECT_TRUE(config::parse_duration("30s", d));
  EXPECT_EQ(d, 30s);
  EXPECT_TRUE(config::parse_duration("5m", d));
  EXPECT_EQ(d, 5min);
  EXPECT_TRUE(config::parse_duration("7d", d));
  EXPECT_EQ(d, std::chrono::hours(24 * 7));
  EXPECT_TRUE(config::parse_duration("1500", d));
  EXPECT_EQ(d, 1500ms);
  EXPECT_FALSE(config::parse_duration("soon", d));
  EXPECT_FALSE(config::parse_duration("-1s", d));
  config::micros us{};
  EXPECT_TRUE(config::parse_duration("500us", us));
  EXPECT_EQ(us, 500us);
  EXPECT_TRUE(config::parse_duration("2ms", us));
  EXPECT_EQ(us, 2000us);
  EXPECT_TRUE(config::parse_duration("0", us));
  EXPECT_EQ(us, 0us);
  EXPECT_FALSE(config::parse_duration("us", us));
  EXPECT_FALSE(config::parse_duration("1.5ms", us));
}

TEST(ConfigUnits, HostPort) {
  std::string host;
  uint16_t port = 0;
  EXPECT_TRUE(config::split_host_port("127.0.0.1:8080", host, port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 8080);
  EXPECT_TRUE(config::split_host_port("[::1]:9", host, port));
  EXPECT_EQ(host, "::1");
  EXPECT_FALSE(config::split_host_port(":80", host, port));
  EXPECT_FALSE(config::split_host_port("host:", host, port));
  EXPECT_FALSE(config::split_host_port("host:http", host, port));
}
