#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "config/cidr.hpp"
#include "config/log.hpp"

namespace ns::config {

/// A byte count; written with a unit in files and flags (`1MiB`, `64KiB`).
struct bytes {
  uint64_t value = 0;
};

using millis = std::chrono::milliseconds;
using micros = std::chrono::microseconds;

struct http_options {
  std::string listen = "127.0.0.1:8080";
  unsigned threads = 2;
  bytes max_body_bytes{1u << 20};
  bytes max_header_bytes{16u << 10};
  millis read_timeout{30'000};
  /// How long a keep-alive connection may wait before a request begins.
  millis idle_timeout{5'000};
  millis write_timeout{30'000};
  millis shutdown_grace{10'000};
  uint64_t max_connections = 10'000;
  // Filled by validate() from `listen`.
  std::string host;
  uint16_t port = 0;
};

struct store_options {
  std::string path = "data";
  bytes write_buffer_bytes{32u << 20};
  uint64_t max_batch_writes = 4096;
  uint64_t max_pending_writes = 100'000;
  /// Longest a group commit waits, after the last one started, for as many
  /// writes as that one carried; 0 commits as soon as the previous one ends.
  micros commit_interval{1000};
  /// Longest wait between two attempts to resume writing after the store
  /// failed (e.g. a full disk); the first comes after 100ms, then doubling.
  millis resume_backoff_max{10'000};
};

struct admin_options {
  std::string token;
};

struct log_options {
  log::level level = log::level::info;
};

struct actors_options {
  unsigned threads = 2;
};

struct jobs_options {
  /// Job actors alive at once; jobs beyond wait in RocksDB (the backlog).
  uint64_t max_live = 100'000;
  /// How long finished jobs stay readable before compaction drops them.
  millis retention{7ull * 24 * 3600 * 1000};
};

struct node_options {
  /// Names this node in the ids of the jobs it owns.
  std::string id = "n1";
};

struct adapters_options {
  /// ZeroMQ endpoint of the external adapter protocol (empty: off).
  std::string listen = "tcp://127.0.0.1:5570";
  millis heartbeat_interval{1'000};
  millis heartbeat_timeout{5'000};
};

struct security_options {
  /// Address ranges that URLs given by clients (`callback_url`) may reach
  /// although they are loopback, private or otherwise special; empty: public
  /// addresses only.
  std::vector<cidr> callback_allow;
};

/// Every setting of nsd, grouped by section. Keys are `section.key`.
struct options {
  http_options http;
  store_options store;
  admin_options admin;
  log_options log;
  actors_options actors;
  node_options node;
  jobs_options jobs;
  adapters_options adapters;
  security_options security;
  /// The file the settings were read from (empty: defaults only).
  std::string config_file;
};

/// What the command line asked for besides settings.
enum class action { run, help, version };

struct load_result {
  options opts;
  action act = action::run;
};

/// Loads settings with the precedence defaults -> config file -> environment
/// (`NS_SECTION_KEY`) -> command line (`--section.key=value`), then validates.
/// The file comes from `--config=FILE` or `NS_CONFIG`. An unknown key or a bad
/// value is an ec::invalid_config error whose message names the key.
caf::expected<load_result> load(const std::vector<std::string>& args,
                                const std::vector<std::string>& environ_vars);

/// Same as load(), reading the process environment.
caf::expected<load_result> load_from_process(int argc, char** argv);

/// Applies the settings of a config file's `text` (INI: `[section]`,
/// `key = value`, `#` comments) to `opts`; errors name `origin:line`. Pure:
/// what --config=FILE does once the file is read.
caf::error apply_config_text(options& opts, std::string_view text,
                             const std::string& origin);

/// Checks values that depend on each other and fills derived fields.
caf::error validate(options& opts);

/// `nsd --help`: usage and every key with its default and help text.
std::string help_text();

/// Parses `1MiB`, `512KiB`, `64k`, `1000` (plain bytes).
bool parse_bytes(std::string_view text, uint64_t& out);

/// Parses `250ms`, `30s`, `5m`, `1h`, or a plain number of milliseconds.
bool parse_duration(std::string_view text, millis& out);

/// Parses `500us`, `1ms`, `2s`, or a plain number of milliseconds.
bool parse_duration(std::string_view text, micros& out);

/// Splits `host:port` (IPv6 as `[::1]:8080`).
bool split_host_port(std::string_view text, std::string& host, uint16_t& port);

} // namespace ns::config
