#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/error.hpp>

#include "actors/actors.hpp"
#include "actors/adapter_link.hpp"
#include "actors/instance_board.hpp"
#include "actors/registry.hpp"

namespace ns::net {

struct adapter_gateway_settings {
  /// ZeroMQ endpoint to bind, e.g. tcp://127.0.0.1:5570.
  std::string listen;
  std::chrono::milliseconds heartbeat{1000};
  std::chrono::milliseconds timeout{5000};
};

/// The ZeroMQ side of external adapters: one thread owns the ROUTER socket
/// (the only one that touches it), checks every frame at the edge
/// (malformed ones are counted and dropped), authenticates hellos against the
/// registry snapshot and spawns one external_instance proxy per session.
/// Proxies send through the adapter_link calls, which only queue and wake the
/// thread.
class adapter_gateway final : public adapter_link {
public:
  adapter_gateway(caf::actor_system& sys, adapter_gateway_settings settings,
                  std::shared_ptr<registry_view> view,
                  job_manager_actor manager,
                  std::shared_ptr<instance_board> board);
  ~adapter_gateway() override;

  /// Binds and starts the thread; an error names the endpoint.
  caf::error start();

  /// Says `bye shutting_down` to every instance, ends their proxies and the
  /// thread. Further link calls are dropped.
  void stop();

  /// The endpoint actually bound (resolves a `:*` or `:0` port).
  std::string endpoint() const;

  /// Frames dropped as malformed since start.
  uint64_t malformed() const {
    return malformed_.load();
  }

  void send_welcome(const std::string& peer, const std::string& instance_id,
                    const std::string& adapter) override;
  void send_job(const std::string& peer, const job_record& job) override;
  void send_cancel(const std::string& peer, const std::string& job_id) override;
  void send_heartbeat(const std::string& peer) override;
  void close(const std::string& peer, const std::string& code,
             const std::string& message) override;

private:
  struct impl;
  struct outgoing {
    std::string peer;
    std::string type;
    std::string body;
    bool forget = false;
  };

  void post(outgoing x);
  void run();

  std::unique_ptr<impl> impl_;
  std::mutex mtx_;
  std::deque<outgoing> queue_;
  bool stopped_ = false;
  std::atomic<uint64_t> malformed_{0};
  std::thread thread_;
};

} // namespace ns::net
