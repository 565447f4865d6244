#include "config/options.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>

#include <unistd.h>

#include "config/error.hpp"
#include "config/text.hpp"

extern char** environ;

namespace ns::config {

namespace {

// -- value parsing and printing, one overload per option type ----------------

bool parse_u64(std::string_view text, uint64_t& out) {
  if (text.empty())
    return false;
  auto [ptr, err]
    = std::from_chars(text.data(), text.data() + text.size(), out);
  return err == std::errc{} && ptr == text.data() + text.size();
}

std::string parse_value(std::string_view text, std::string& out) {
  out = std::string{text};
  return {};
}

std::string parse_value(std::string_view text, unsigned& out) {
  uint64_t tmp = 0;
  if (!parse_u64(text, tmp))
    return "expected a whole number";
  if (tmp > 1'000'000)
    return "expected a number up to 1000000";
  out = static_cast<unsigned>(tmp);
  return {};
}

std::string parse_value(std::string_view text, uint64_t& out) {
  if (!parse_u64(text, out))
    return "expected a whole number";
  return {};
}

std::string parse_value(std::string_view text, bytes& out) {
  if (!parse_bytes(text, out.value))
    return "expected a size such as 1MiB, 64KiB or 4096";
  return {};
}

std::string parse_value(std::string_view text, millis& out) {
  if (!parse_duration(text, out))
    return "expected a duration such as 250ms, 30s, 5m, 1h or 7d";
  return {};
}

std::string parse_value(std::string_view text, micros& out) {
  if (!parse_duration(text, out))
    return "expected a duration such as 500us, 1ms or 0";
  return {};
}

std::string parse_value(std::string_view text, log::level& out) {
  if (!log::parse_level(text, out))
    return "expected one of debug, info, warning, error";
  return {};
}

std::string parse_value(std::string_view text, std::vector<cidr>& out) {
  if (!parse_cidr_list(text, out))
    return "expected a comma-separated list of address ranges such as "
           "127.0.0.0/8, ::1/128 or 10.1.2.3 (no bits set past the prefix)";
  return {};
}

std::string show(const std::string& x) {
  return x.empty() ? "\"\"" : x;
}
std::string show(unsigned x) {
  return std::to_string(x);
}
std::string show(uint64_t x) {
  return std::to_string(x);
}
std::string show(bytes x) {
  auto v = x.value;
  if (v != 0 && v % (1ull << 30) == 0)
    return std::to_string(v >> 30) + "GiB";
  if (v != 0 && v % (1ull << 20) == 0)
    return std::to_string(v >> 20) + "MiB";
  if (v != 0 && v % (1ull << 10) == 0)
    return std::to_string(v >> 10) + "KiB";
  return std::to_string(v);
}
std::string show(millis x) {
  auto ms = x.count();
  if (ms != 0 && ms % 86'400'000 == 0)
    return std::to_string(ms / 86'400'000) + "d";
  if (ms != 0 && ms % 3'600'000 == 0)
    return std::to_string(ms / 3'600'000) + "h";
  if (ms != 0 && ms % 60'000 == 0)
    return std::to_string(ms / 60'000) + "m";
  if (ms != 0 && ms % 1000 == 0)
    return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}
std::string show(micros x) {
  auto us = x.count();
  if (us % 1000 == 0)
    return show(std::chrono::duration_cast<millis>(x));
  return std::to_string(us) + "us";
}
std::string show(log::level x) {
  return std::string{log::to_string(x)};
}
std::string show(const std::vector<cidr>& x) {
  std::string out;
  for (auto& range : x)
    out += (out.empty() ? "" : ",") + to_string(range);
  return out.empty() ? "\"\"" : out;
}

// -- the option table
// ----------------------------------------------------------

struct option_spec {
  std::string key; // section.key
  std::string help;
  std::function<std::string(options&, std::string_view)> set;
  std::function<std::string(const options&)> get;
};

template <class Section, class T>
option_spec make(std::string key, std::string help, Section options::*section,
                 T Section::*field) {
  return option_spec{std::move(key), std::move(help),
                     [section, field](options& o, std::string_view text) {
                       return parse_value(trim(text), (o.*section).*field);
                     },
                     [section, field](const options& o) {
                       return show((o.*section).*field);
                     }};
}

const std::vector<option_spec>& table() {
  static const std::vector<option_spec> specs = {
    make("http.listen", "address and port of the HTTP API (host:port)",
         &options::http, &http_options::listen),
    make("http.threads", "threads serving HTTP (one io_context each)",
         &options::http, &http_options::threads),
    make("http.max_body_bytes",
         "largest request body accepted (1KiB..1GiB); larger is 413",
         &options::http, &http_options::max_body_bytes),
    make("http.max_header_bytes",
         "largest request head accepted (1KiB..1MiB); larger is 431",
         &options::http, &http_options::max_header_bytes),
    make("http.read_timeout",
         "time a connection may take to send one whole request, counted "
         "from the end of the previous answer; then it is closed",
         &options::http, &http_options::read_timeout),
    make("http.idle_timeout",
         "time a connection may wait, open and idle, before its next request "
         "(or its first) begins; then it is closed",
         &options::http, &http_options::idle_timeout),
    make("http.write_timeout", "time a client may take to read an answer",
         &options::http, &http_options::write_timeout),
    make("http.shutdown_grace",
         "on SIGTERM/SIGINT, how long in-flight requests (and requests "
         "already sent on idle connections) may take to be answered",
         &options::http, &http_options::shutdown_grace),
    make("http.max_connections",
         "open connections at most; further ones are closed at once",
         &options::http, &http_options::max_connections),
    make("store.path", "directory of the RocksDB data (created if missing)",
         &options::store, &store_options::path),
    make("store.write_buffer_bytes",
         "RocksDB memtable size per column family (bounds memory)",
         &options::store, &store_options::write_buffer_bytes),
    make("store.max_batch_writes",
         "most writes merged into one fsync'd group commit", &options::store,
         &store_options::max_batch_writes),
    make("store.max_pending_writes",
         "writes waiting for a commit at most; beyond it writes are refused "
         "(503 overloaded)",
         &options::store, &store_options::max_pending_writes),
    make("store.commit_interval",
         "longest a group commit waits (after the last one started) for as "
         "many writes as the last one carried, so they share one fsync; "
         "0 = no wait (more fsyncs/s)",
         &options::store, &store_options::commit_interval),
    make("store.resume_backoff_max",
         "after the store failed to write (e.g. a full disk), the longest "
         "wait between two attempts to resume; from 100ms, doubling",
         &options::store, &store_options::resume_backoff_max),
    make("admin.token",
         "bearer token of the admin API; when empty, one is generated on "
         "first start and kept in <store.path>/admin.token",
         &options::admin, &admin_options::token),
    make("log.level", "debug, info, warning or error", &options::log,
         &log_options::level),
    make("actors.threads", "threads of the actor scheduler", &options::actors,
         &actors_options::threads),
    make("jobs.max_live",
         "job actors alive at once (bounds memory); further jobs wait in "
         "RocksDB and get an actor as room frees, by priority then age",
         &options::jobs, &jobs_options::max_live),
    make("jobs.retention",
         "how long finished jobs stay readable (GET) before compaction drops "
         "them",
         &options::jobs, &jobs_options::retention),
    make("adapters.listen",
         "ZeroMQ endpoint where external adapter instances connect (e.g. "
         "tcp://127.0.0.1:5570); empty turns the adapter protocol off",
         &options::adapters, &adapters_options::listen),
    make("adapters.heartbeat_interval",
         "how often nsd sends each adapter instance a heartbeat (and asks "
         "one back)",
         &options::adapters, &adapters_options::heartbeat_interval),
    make("adapters.heartbeat_timeout",
         "an instance silent this long is dropped and its jobs are "
         "delivered again",
         &options::adapters, &adapters_options::heartbeat_timeout),
    make("node.id",
         "this node's name in the ids of the jobs it owns ([a-z0-9]{1,16}, "
         "unique in a cluster)",
         &options::node, &node_options::id),
    make("security.callback_allow",
         "address ranges (CIDR, comma-separated) that client-supplied URLs "
         "(callback_url) may reach although loopback, private, link-local or "
         "otherwise special; empty = public addresses only. Adapter URLs are "
         "not limited",
         &options::security, &security_options::callback_allow),
  };
  return specs;
}

const option_spec* find(std::string_view key) {
  for (auto& spec : table())
    if (spec.key == key)
      return &spec;
  return nullptr;
}

std::string env_name(std::string_view key) {
  std::string out = "NS_";
  for (char c : key)
    out += c == '.' ? '_' : static_cast<char>(std::toupper(c));
  return out;
}

caf::error bad(std::string text) {
  return make_error(ec::invalid_config, std::move(text));
}

caf::error apply(options& opts, std::string_view key, std::string_view value,
                 const std::string& origin) {
  auto spec = find(key);
  if (spec == nullptr)
    return bad("unknown setting '" + std::string{key} + "' (" + origin
               + "); see nsd --help");
  if (auto why = spec->set(opts, value); !why.empty())
    return bad("bad value '" + std::string{value} + "' for " + spec->key + " ("
               + origin + "): " + why);
  return {};
}

std::string unquote(std::string_view v) {
  v = trim(v);
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'')
      && v.back() == v.front())
    v = v.substr(1, v.size() - 2);
  return std::string{v};
}

caf::error apply_file(options& opts, const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return bad("cannot read config file '" + path + "'");
  std::string text{std::istreambuf_iterator<char>{in}, {}};
  return apply_config_text(opts, text, path);
}

std::vector<std::string> known_sections() {
  std::vector<std::string> out;
  for (auto& spec : table()) {
    auto sec = spec.key.substr(0, spec.key.find('.'));
    if (std::find(out.begin(), out.end(), sec) == out.end())
      out.push_back(sec);
  }
  return out;
}

} // namespace

bool parse_bytes(std::string_view text, uint64_t& out) {
  text = trim(text);
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
    ++i;
  uint64_t n = 0;
  if (!parse_u64(text.substr(0, i), n))
    return false;
  auto unit = trim(text.substr(i));
  uint64_t mul = 1;
  if (unit.empty() || unit == "B")
    mul = 1;
  else if (unit == "KiB" || unit == "k" || unit == "K" || unit == "KB")
    mul = 1ull << 10;
  else if (unit == "MiB" || unit == "m" || unit == "M" || unit == "MB")
    mul = 1ull << 20;
  else if (unit == "GiB" || unit == "g" || unit == "G" || unit == "GB")
    mul = 1ull << 30;
  else
    return false;
  if (n > UINT64_MAX / mul)
    return false;
  out = n * mul;
  return true;
}

bool parse_duration(std::string_view text, millis& out) {
  text = trim(text);
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
    ++i;
  uint64_t n = 0;
  if (!parse_u64(text.substr(0, i), n) || n > 100'000'000'000ull)
    return false;
  auto unit = trim(text.substr(i));
  if (unit.empty() || unit == "ms")
    out = millis{n};
  else if (unit == "s")
    out = millis{n * 1000};
  else if (unit == "m" || unit == "min")
    out = millis{n * 60'000};
  else if (unit == "h")
    out = millis{n * 3'600'000};
  else if (unit == "d")
    out = millis{n * 86'400'000};
  else
    return false;
  return true;
}

bool parse_duration(std::string_view text, micros& out) {
  text = trim(text);
  if (text.size() > 2 && text.substr(text.size() - 2) == "us") {
    uint64_t n = 0;
    if (!parse_u64(trim(text.substr(0, text.size() - 2)), n)
        || n > 100'000'000'000ull)
      return false;
    out = micros{n};
    return true;
  }
  millis ms{};
  if (!parse_duration(text, ms))
    return false;
  out = std::chrono::duration_cast<micros>(ms);
  return true;
}

bool split_host_port(std::string_view text, std::string& host, uint16_t& port) {
  std::string_view h;
  std::string_view p;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size()
        || text[close + 1] != ':')
      return false;
    h = text.substr(1, close - 1);
    p = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
      return false;
    h = text.substr(0, colon);
    p = text.substr(colon + 1);
  }
  uint64_t n = 0;
  if (h.empty() || !parse_u64(p, n) || n > 65535)
    return false;
  host = std::string{h};
  port = static_cast<uint16_t>(n);
  return true;
}

caf::error apply_config_text(options& opts, std::string_view text,
                             const std::string& origin) {
  std::string section;
  size_t lineno = 0;
  while (!text.empty()) {
    auto nl = text.find('\n');
    auto raw = text.substr(0, nl);
    text
      = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++lineno;
    auto line = trim(raw);
    auto where = origin + ":" + std::to_string(lineno);
    if (line.empty() || line.front() == '#' || line.front() == ';')
      continue;
    if (line.front() == '[') {
      if (line.back() != ']')
        return bad("malformed section header at " + where);
      section = std::string{trim(line.substr(1, line.size() - 2))};
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string_view::npos)
      return bad("expected 'key = value' at " + where);
    auto name = std::string{trim(line.substr(0, eq))};
    auto key = section.empty() ? name : section + "." + name;
    if (auto err = apply(opts, key, unquote(line.substr(eq + 1)), where))
      return err;
  }
  return {};
}

caf::error validate(options& opts) {
  auto& h = opts.http;
  if (!split_host_port(h.listen, h.host, h.port))
    return bad("bad value '" + h.listen
               + "' for http.listen: expected host:port, e.g. 127.0.0.1:8080");
  if (h.threads < 1 || h.threads > 256)
    return bad("bad value for http.threads: must be between 1 and 256");
  if (h.max_body_bytes.value < 1024 || h.max_body_bytes.value > (1ull << 30))
    return bad("bad value for http.max_body_bytes: must be between 1KiB and "
               "1GiB");
  if (h.max_header_bytes.value < 1024
      || h.max_header_bytes.value > (1ull << 20))
    return bad("bad value for http.max_header_bytes: must be between 1KiB and "
               "1MiB");
  if (h.read_timeout.count() < 1 || h.write_timeout.count() < 1
      || h.idle_timeout.count() < 1)
    return bad("bad value for http.read_timeout/http.write_timeout/"
               "http.idle_timeout: must be positive");
  if (h.max_connections < 1)
    return bad("bad value for http.max_connections: must be at least 1");
  if (opts.store.path.empty())
    return bad("bad value for store.path: must not be empty");
  if (opts.store.max_batch_writes < 1)
    return bad("bad value for store.max_batch_writes: must be at least 1");
  if (opts.store.max_pending_writes < opts.store.max_batch_writes)
    return bad("bad value for store.max_pending_writes: must be at least "
               "store.max_batch_writes");
  if (opts.store.commit_interval > std::chrono::milliseconds(100))
    return bad("bad value for store.commit_interval: must be at most 100ms");
  if (opts.store.resume_backoff_max < std::chrono::milliseconds(100))
    return bad("bad value for store.resume_backoff_max: must be at least "
               "100ms");
  if (opts.store.write_buffer_bytes.value < (1u << 20))
    return bad("bad value for store.write_buffer_bytes: must be at least 1MiB");
  auto& node = opts.node.id;
  if (node.empty() || node.size() > 16
      || !std::all_of(node.begin(), node.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
         }))
    return bad("bad value '" + node + "' for node.id: use 1 to 16 of a-z, 0-9");
  if (opts.jobs.retention < std::chrono::hours(24))
    return bad("bad value for jobs.retention: must be at least 1d (an "
               "Idempotency-Key names its job for 24 hours)");
  auto& ad = opts.adapters;
  if (ad.heartbeat_interval < std::chrono::milliseconds(10))
    return bad("bad value for adapters.heartbeat_interval: must be at least "
               "10ms");
  if (ad.heartbeat_timeout < 2 * ad.heartbeat_interval)
    return bad("bad value for adapters.heartbeat_timeout: must be at least "
               "twice adapters.heartbeat_interval");
  if (opts.jobs.max_live < 1)
    return bad("bad value for jobs.max_live: must be at least 1");
  if (opts.actors.threads < 1 || opts.actors.threads > 256)
    return bad("bad value for actors.threads: must be between 1 and 256");
  return {};
}

caf::expected<load_result> load(const std::vector<std::string>& args,
                                const std::vector<std::string>& environ_vars) {
  load_result res;
  // Collect env first: NS_CONFIG may name the file.
  std::vector<std::pair<std::string, std::string>> env;
  for (auto& kv : environ_vars) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || kv.rfind("NS_", 0) != 0)
      continue;
    env.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  std::string file;
  for (auto& [k, v] : env)
    if (k == "NS_CONFIG")
      file = v;
  // Command line: flags, then --config, then settings.
  std::vector<std::pair<std::string, std::string>> cli;
  for (auto& arg : args) {
    if (arg == "--help" || arg == "-h") {
      res.act = action::help;
      return res;
    }
    if (arg == "--version") {
      res.act = action::version;
      return res;
    }
    if (arg.rfind("--", 0) != 0)
      return bad("unexpected argument '" + arg
                 + "': settings are written --section.key=value");
    auto eq = arg.find('=');
    if (eq == std::string::npos)
      return bad("missing value in '" + arg
                 + "': settings are written --section.key=value");
    auto key = arg.substr(2, eq - 2);
    auto val = arg.substr(eq + 1);
    if (key == "config")
      file = val;
    else
      cli.emplace_back(std::move(key), std::move(val));
  }
  if (!file.empty()) {
    if (auto err = apply_file(res.opts, file))
      return err;
    res.opts.config_file = file;
  }
  // Environment: NS_<SECTION>_<KEY>. Unknown keys of a known section are
  // mistakes; NS_ variables of other programs are none of our business.
  auto sections = known_sections();
  for (auto& [name, value] : env) {
    if (name == "NS_CONFIG")
      continue;
    const option_spec* hit = nullptr;
    for (auto& spec : table())
      if (env_name(spec.key) == name)
        hit = &spec;
    if (hit != nullptr) {
      if (auto err = apply(res.opts, hit->key, value, "environment " + name))
        return err;
      continue;
    }
    for (auto& sec : sections)
      if (name.rfind(env_name(sec) + "_", 0) == 0)
        return bad("unknown setting in environment variable " + name
                   + "; see nsd --help");
  }
  for (auto& [key, value] : cli)
    if (auto err = apply(res.opts, key, value, "command line --" + key))
      return err;
  if (auto err = validate(res.opts))
    return err;
  return res;
}

caf::expected<load_result> load_from_process(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e)
    env.emplace_back(*e);
  return load(args, env);
}

std::string help_text() {
  std::ostringstream out;
  options defaults;
  out << "nsd - the ns notification service daemon\n\n"
         "Usage: nsd [--config=FILE] [--section.key=value ...]\n"
         "       nsd --help | --version\n\n"
         "Settings are read in this order, each overriding the one before:\n"
         "defaults, the config file (--config=FILE or NS_CONFIG), the\n"
         "environment (NS_SECTION_KEY, e.g. NS_HTTP_LISTEN), the command line\n"
         "(--section.key=value). Sizes take KiB/MiB/GiB, durations "
         "ms/s/m/h/d.\n\n"
         "Settings (default in brackets):\n";
  for (auto& spec : table()) {
    out << "  --" << spec.key << " [" << spec.get(defaults) << "]\n"
        << "      " << spec.help << "\n"
        << "      env " << env_name(spec.key) << "\n";
  }
  out << "\nSignals: SIGTERM or SIGINT stop accepting, finish in-flight "
         "requests,\nflush the store and exit 0.\n";
  return out.str();
}

} // namespace ns::config
