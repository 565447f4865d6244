#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

// The seam between the smtp channel and the network, like outbound_http:
// actors/ builds the message, net/ (smtp_client) hands it to a server.

namespace ns {

enum class smtp_tls : uint8_t { none, starttls, implicit };

/// One message to submit.
struct smtp_call {
  std::string host;
  uint16_t port = 25;
  smtp_tls tls = smtp_tls::starttls;
  /// Empty: no AUTH.
  std::string username;
  std::string password;
  /// Verify the server's certificate against the system trust store, or
  /// against `ca_file` when set.
  bool verify = true;
  std::string ca_file;
  /// Envelope sender and recipients (bare addresses).
  std::string mail_from;
  std::vector<std::string> rcpt_to;
  /// The whole RFC 5322 message, CRLF line ends.
  std::string message;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds timeout{60'000};
};

/// What came back.
struct smtp_outcome {
  bool delivered = false;
  /// The last SMTP reply code (0: none, e.g. no connection).
  unsigned code = 0;
  /// The server's last reply line, or the transport error.
  std::string message;
  /// Certificate or login failures: retrying cannot help.
  bool permanent = false;
  /// Nothing reached the server.
  bool not_sent = false;
};

/// Submits messages asynchronously; `done` runs once on a network thread and
/// must not block.
class outbound_smtp {
public:
  virtual ~outbound_smtp() = default;
  virtual void send(smtp_call call, std::function<void(smtp_outcome)> done) = 0;
};

} // namespace ns
