#pragma once

#include <string>

#include "actors/job.hpp"

namespace ns {

/// How an external instance proxy talks to its adapter process: the ZeroMQ
/// gateway in net/ implements it (the only thread that touches the socket).
/// Every call only queues; none blocks. `peer` is the instance's routing id.
class adapter_link {
public:
  virtual ~adapter_link() = default;

  virtual void send_welcome(const std::string& peer,
                            const std::string& instance_id,
                            const std::string& adapter)
    = 0;
  virtual void send_job(const std::string& peer, const job_record& job) = 0;
  virtual void send_cancel(const std::string& peer, const std::string& job_id)
    = 0;
  virtual void send_heartbeat(const std::string& peer) = 0;

  /// Ends the session: says `bye` with `code` (unless empty) and forgets the
  /// peer, whose further frames are answered `unknown_instance`.
  virtual void close(const std::string& peer, const std::string& code,
                     const std::string& message)
    = 0;
};

} // namespace ns
