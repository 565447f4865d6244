#pragma once

#include <memory>

#include "actors/outbound_smtp.hpp"

namespace ns::net {

/// SMTP submission over libcurl's multi interface on one thread of its own:
/// many messages in flight, none blocking an actor, and curl's connection
/// cache as the pool (a connection to a server is reused by the next message
/// to it: no new TCP, TLS and AUTH per message). STARTTLS and implicit TLS
/// verify against the system trust store (or the call's CA file).
class smtp_client final : public outbound_smtp {
public:
  /// `max_idle` connections are kept open between messages, in all.
  explicit smtp_client(long max_idle = 32);
  /// Calls stop().
  ~smtp_client() override;
  smtp_client(const smtp_client&) = delete;
  smtp_client& operator=(const smtp_client&) = delete;

  /// Thread-safe; after stop, `done` runs at once with "shutting down".
  void send(smtp_call call, std::function<void(smtp_outcome)> done) override;

  /// Abandons messages in flight (their `done` runs with "shutting down")
  /// and joins the thread. Idempotent.
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace ns::net
