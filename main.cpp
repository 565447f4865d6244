// nsd: the composition root. config -> store -> actor system -> HTTP.

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>

#include "actors/credentials.hpp"
#include "actors/job_ingest.hpp"
#include "actors/job_manager.hpp"
#include "actors/registry.hpp"
#include "actors/registry_actor.hpp"
#include "config/error.hpp"
#include "config/log.hpp"
#include "config/options.hpp"
#include "net/adapter_gateway.hpp"
#include "net/api.hpp"
#include "net/http_client.hpp"
#include "net/http_server.hpp"
#include "net/smtp_client.hpp"
#include "store/db.hpp"
#include "store/group_commit.hpp"

namespace {

int fail(const caf::error& err, int code) {
  std::fprintf(stderr, "nsd: %s\n", ns::message_of(err).c_str());
  return code;
}

/// The admin token: configured, or kept in the data dir, or made on first
/// start (and written there before it is used, so it survives a crash).
caf::expected<std::string> admin_token(const ns::config::options& opts) {
  if (!opts.admin.token.empty())
    return opts.admin.token;
  auto path = std::filesystem::path{opts.store.path} / "admin.token";
  if (std::ifstream in{path}; in) {
    std::string token;
    std::getline(in, token);
    if (!token.empty()) {
      ns::log::info() << "admin token: read from " << path.string();
      return token;
    }
  }
  auto token = ns::credentials::new_admin_token();
  auto tmp = path.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0)
    return ns::make_error(ns::ec::store_failure,
                          "cannot write " + tmp + ": " + std::strerror(errno));
  auto line = token + "\n";
  bool ok
    = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size())
    && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0)
    return ns::make_error(ns::ec::store_failure,
                          "cannot write " + path.string());
  // The rename is durable only once the directory entry is.
  if (int dir = ::open(opts.store.path.c_str(), O_RDONLY | O_DIRECTORY);
      dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  // The token itself stays out of the log: logs travel further than files.
  ns::log::info() << "admin token generated and stored in " << path.string()
                  << " (read it with: cat " << path.string() << ")";
  return token;
}

} // namespace

int main(int argc, char** argv) {
  auto loaded = ns::config::load_from_process(argc, argv);
  if (!loaded)
    return fail(loaded.error(), 2);
  if (loaded->act == ns::config::action::help) {
    std::fputs(ns::config::help_text().c_str(), stdout);
    return 0;
  }
  if (loaded->act == ns::config::action::version) {
    std::puts("nsd 0.1.0");
    return 0;
  }
  auto& opts = loaded->opts;
  ns::log::set_level(opts.log.level);

  // Signals are taken by sigwait() below; every thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto db = ns::store::db::open(
    opts.store,
    ns::job_retention(static_cast<uint64_t>(opts.jobs.retention.count())));
  if (!db)
    return fail(db.error(), 1);
  auto token = admin_token(opts);
  if (!token)
    return fail(token.error(), 1);
  auto snapshot = ns::load_registry(**db);
  if (!snapshot)
    return fail(snapshot.error(), 1);
  ns::log::info() << "store: " << opts.store.path << " ("
                  << snapshot->clients.size() << " clients, "
                  << snapshot->adapters.size() << " adapters)";
  auto recovered = ns::recover_jobs(**db, opts.jobs.max_live);
  if (!recovered)
    return fail(recovered.error(), 1);
  auto view = std::make_shared<ns::registry_view>();
  view->publish(
    std::make_shared<const ns::registry_snapshot>(std::move(*snapshot)));
  auto ready = std::make_shared<std::atomic<bool>>(false);

  ns::store::group_commit commit{
    **db, opts.store.max_batch_writes, opts.store.max_pending_writes,
    opts.store.commit_interval, opts.store.resume_backoff_max};
  ns::net::http_client_options outbound_opts;
  outbound_opts.client_urls
    = ns::net::address_policy{opts.security.callback_allow};
  ns::net::http_client outbound{outbound_opts};
  ns::net::smtp_client smtp;
  // Declared before the actor system: actors may still hold answers for HTTP
  // connections, which must outlive them.
  std::optional<ns::net::http_server> http;
  // Proxies of external instances send through it until they are gone.
  std::optional<ns::net::adapter_gateway> adapters;
  auto board = std::make_shared<ns::instance_board>();
  {
    caf::actor_system_config cfg;
    cfg.set("scheduler.max-threads", static_cast<size_t>(opts.actors.threads));
    // Idle workers sleep on a condition variable after a short spin instead
    // of 500 polls with 50 us naps each: on a small machine those naps cost
    // the HTTP and commit threads a core.
    cfg.set("work-stealing.moderate-poll-attempts", size_t{0});
    caf::actor_system sys{cfg};
    auto ctx = std::make_shared<ns::job_context>();
    ctx->commit = &commit;
    ctx->view = view;
    ctx->http = &outbound;
    ctx->smtp = &smtp;
    ctx->metrics = std::make_shared<ns::node_metrics>();
    // The manager rebuilds every non-final job's actor and timers before the
    // first request is served.
    auto jobs = sys.spawn<caf::detached>(
      ns::job_manager, ctx, db->get(), opts.jobs.max_live,
      std::make_shared<ns::recovery>(std::move(*recovered)));
    {
      // /readyz turns 200 only after the manager rebuilt every job's actor
      // and timers: its first answer comes after its start-up.
      std::promise<void> recovered_all;
      caf::anon_send(jobs, ns::stats_query{[&](std::string) {
                       recovered_all.set_value();
                     }});
      recovered_all.get_future().wait();
    }
    auto registry = sys.spawn(ns::registry, view, &commit, jobs);
    auto ingest = std::make_shared<ns::job_ingest>(commit, view, jobs,
                                                   opts.node.id, ctx->metrics);
    // In this order: no new requests, no deliveries in flight (their jobs
    // are redelivered after the next start), everything queued durable, the
    // actors gone, then every handle dropped: the detached manager's thread
    // ends only once no handle to it is left.
    auto shutdown = [&] {
      // Instances hear bye first; the jobs they hold are delivered again.
      if (adapters)
        adapters->stop();
      if (http)
        http->stop(opts.http.shutdown_grace);
      outbound.stop();
      smtp.stop();
      commit.stop();
      caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
      caf::anon_send_exit(jobs, caf::exit_reason::user_shutdown);
      sys.await_all_actors_done();
      adapters.reset();
      http.reset();
      ingest.reset();
      ctx.reset();
      registry = ns::registry_actor{};
      jobs = ns::job_manager_actor{};
    };

    http.emplace(opts.http,
                 ns::net::make_api(ns::net::api_context{
                   registry, view, *token, ready, jobs, ingest, &commit, board,
                   ns::net::address_policy{opts.security.callback_allow}}));
    if (auto err = http->start()) {
      http.reset();
      shutdown();
      return fail(err, 1);
    }
    if (!opts.adapters.listen.empty()) {
      adapters.emplace(sys,
                       ns::net::adapter_gateway_settings{
                         opts.adapters.listen, opts.adapters.heartbeat_interval,
                         opts.adapters.heartbeat_timeout},
                       view, jobs, board);
      if (auto err = adapters->start()) {
        adapters.reset();
        shutdown();
        return fail(err, 1);
      }
    }
    ready->store(true);
    ns::log::info() << "nsd ready: http://" << opts.http.host << ":"
                    << http->port() << " (pid " << ::getpid() << ")";

    int sig = 0;
    sigwait(&stop_signals, &sig);
    ns::log::info() << "received " << (sig == SIGTERM ? "SIGTERM" : "SIGINT")
                    << ": finishing in-flight requests";
    ready->store(false);
    shutdown();
  }
  if (auto err = (*db)->flush())
    ns::log::warning() << "store flush at shutdown: " << ns::message_of(err);
  ns::log::info() << "nsd stopped";
  return 0;
}
