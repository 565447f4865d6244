#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

// The C++ SDK for external ns adapters. An adapter author writes one handler,
//
//   ns::adapter_sdk::result handle(const ns::adapter_sdk::job& j);
//
// and the SDK does the rest of docs/adapter-protocol.md: hello with the key,
// credit, heartbeats both ways, the expiry check before the handler runs,
// cancel, and reconnecting with backoff when nsd restarts or goes silent.

namespace ns::adapter_sdk {

/// One job as the handler sees it.
struct job {
  std::string id;
  /// Empty when the client gave none. The same on every attempt.
  std::string idempotency_key;
  /// 1 for the first attempt; a redelivery after a lost instance counts too.
  uint32_t attempt = 0;
  std::string priority;
  std::string create_time;
  std::string expire_time;
  uint64_t expire_at_ms = 0;
  boost::json::value params;

  /// True once nsd asked to cancel this job. A handler that has not done the
  /// work yet should return result::canceled().
  bool canceled() const {
    return canceled_flag && canceled_flag->load();
  }

  /// Sleeps up to `d`, waking early on cancel; true if canceled.
  bool sleep_unless_canceled(std::chrono::milliseconds d) const;

  std::shared_ptr<std::atomic<bool>> canceled_flag;
};

/// What the handler reports.
struct result {
  enum class kind : uint8_t { succeeded, failed, canceled };
  kind what = kind::succeeded;
  bool retryable = false;
  std::string message;
  uint64_t retry_after_ms = 0;

  static result succeeded() {
    return {};
  }
  /// `retryable`: nsd tries again later (by the adapter's retry policy),
  /// after `retry_after_ms` at the earliest when given.
  static result failed(bool retryable, std::string message,
                       uint64_t retry_after_ms = 0) {
    return {kind::failed, retryable, std::move(message), retry_after_ms};
  }
  /// Nothing was sent: the job ends canceled if nsd asked to cancel it.
  static result canceled() {
    return {kind::canceled, false, {}, 0};
  }
};

using handler = std::function<result(const job&)>;

struct options {
  /// nsd's adapters.listen endpoint.
  std::string endpoint = "tcp://127.0.0.1:5570";
  /// The adapter key (nsa_...) from POST /v1/adapters.
  std::string key;
  /// Jobs this instance holds at once (sent, queued here, or in the handler).
  uint32_t credit = 8;
  /// Handler threads (0: as many as credit, at most 64; a thread per held job
  /// costs more than it gains beyond that unless handlers mostly wait).
  unsigned workers = 0;
  /// Names the instance in nsd's log and admin view.
  std::string name;
  /// Used until nsd's welcome tells its own values.
  std::chrono::milliseconds heartbeat{1000};
  std::chrono::milliseconds timeout{5000};
  /// Reconnect backoff: doubles from min to max, reset by a welcome.
  std::chrono::milliseconds backoff_min{100};
  std::chrono::milliseconds backoff_max{5000};
  /// Where the SDK says what it does (connect, refusals, reconnects).
  std::function<void(std::string_view)> log;
};

/// Counters of one adapter run.
struct stats {
  uint64_t received = 0;
  uint64_t succeeded = 0;
  uint64_t failed = 0;
  uint64_t canceled = 0;
  uint64_t expired = 0;
  uint64_t sessions = 0;
};

class adapter {
public:
  adapter(options opts, handler fn);
  ~adapter();
  adapter(const adapter&) = delete;
  adapter& operator=(const adapter&) = delete;

  /// Runs until stop() or a refusal that waiting cannot fix (bad key,
  /// unsupported version, key rotated, adapter deleted). Returns an empty
  /// string after stop(), else the refusal ("bad_key: unknown adapter key").
  /// A blocked adapter is retried with backoff.
  std::string run();

  /// Thread-safe; run() says bye and returns soon after.
  void stop();

  stats counters() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace ns::adapter_sdk
