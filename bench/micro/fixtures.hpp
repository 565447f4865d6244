#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <time.h>
#include <unistd.h>

#include "actors/clock.hpp"
#include "actors/job.hpp"
#include "store/db.hpp"

// What the micro-benchmarks share: a typical job as a client posts it and as
// ns stores it, and a throwaway RocksDB.

namespace ns::bench {

/// POST /v1/jobs body of a typical welcome e-mail: ~5 params fields with a
/// nested object, a ttl, a priority and a result callback.
inline constexpr std::string_view job_body = R"({
  "adapter": "welcome-email",
  "params": {
    "to": "alice.example@example.com",
    "subject": "Welcome to Example, Alice",
    "name": "Alice Example",
    "locale": "en-GB",
    "vars": {"plan": "pro", "seats": 5, "trial": true,
             "signup_url": "https://app.example.com/welcome?ref=mail"}
  },
  "ttl_s": 3600,
  "priority": "high",
  "callback_url": "https://hooks.example.com/ns/results"
})";

/// The params_schema an operator would give that adapter: required fields,
/// types, string lengths, a nested object, no unknown fields.
inline constexpr std::string_view job_params_schema = R"({
  "type": "object",
  "required": ["to", "subject", "name"],
  "additionalProperties": false,
  "properties": {
    "to": {"type": "string", "minLength": 3, "maxLength": 254},
    "subject": {"type": "string", "minLength": 1, "maxLength": 200},
    "name": {"type": "string", "minLength": 1, "maxLength": 100},
    "locale": {"type": "string", "minLength": 2, "maxLength": 16},
    "vars": {
      "type": "object",
      "required": ["plan"],
      "properties": {
        "plan": {"type": "string", "maxLength": 32},
        "seats": {"type": "integer", "minimum": 1, "maximum": 100000},
        "trial": {"type": "boolean"},
        "signup_url": {"type": "string", "maxLength": 2048}
      }
    }
  }
})";

/// The record the accept path stores for `job_body`.
inline job_record typical_job() {
  job_record j;
  j.id = new_job_id("node-1");
  j.client_id = "cl_01J9Z3K4M5N6P7Q8R9S0";
  j.adapter = "welcome-email";
  j.params = R"({"to":"alice.example@example.com","subject":"Welcome to )"
             R"(Example, Alice","name":"Alice Example","locale":"en-GB",)"
             R"("vars":{"plan":"pro","seats":5,"trial":true,"signup_url":)"
             R"("https://app.example.com/welcome?ref=mail"}})";
  j.callback_url = "https://hooks.example.com/ns/results";
  j.priority = job_priority::high;
  j.create_ms = clock::now_ms();
  j.expire_ms = j.create_ms + 3'600'000;
  return j;
}

/// CPU time of the whole process, every thread (CAF's workers, the commit
/// thread, RocksDB's), in seconds: what a run cost beyond its wall time.
inline double process_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

/// A fresh RocksDB under `base` (a real disk under /tmp, or tmpfs under
/// /dev/shm to take fsync out of the picture), removed on destruction.
class temp_store {
public:
  temp_store(std::string_view name, std::string_view base = "/tmp")
    : dir_(std::filesystem::path{base}
           / ("ns_microbench_" + std::string{name} + "_"
              + std::to_string(::getpid()))) {
    std::filesystem::remove_all(dir_);
    config::store_options opts;
    opts.path = dir_.string();
    if (auto res = store::db::open(opts))
      db_ = std::move(*res);
  }

  ~temp_store() {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  temp_store(const temp_store&) = delete;
  temp_store& operator=(const temp_store&) = delete;

  /// Null when the store did not open.
  store::db* get() const noexcept {
    return db_.get();
  }

private:
  std::filesystem::path dir_;
  std::unique_ptr<store::db> db_;
};

} // namespace ns::bench
