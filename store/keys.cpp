#include "store/keys.hpp"

namespace ns::store::keys {

void append_u64(std::string& out, uint64_t x) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((x >> shift) & 0xFF));
}

std::optional<uint64_t> read_u64(std::string_view in, size_t pos) {
  if (in.size() < pos + 8)
    return std::nullopt;
  uint64_t x = 0;
  for (size_t i = 0; i < 8; ++i)
    x = (x << 8) | static_cast<uint8_t>(in[pos + i]);
  return x;
}

std::string client(std::string_view id) {
  return std::string{id};
}

std::string adapter(std::string_view name) {
  return std::string{name};
}

std::string schema_version() {
  return "schema_version";
}

std::string due(uint64_t at_ms, std::string_view job_id) {
  std::string out;
  out.reserve(8 + job_id.size());
  append_u64(out, at_ms);
  out.append(job_id);
  return out;
}

std::optional<due_entry> parse_due(std::string_view key) {
  auto at = read_u64(key);
  if (!at || key.size() == 8)
    return std::nullopt;
  return due_entry{*at, key.substr(8)};
}

std::string idempotency_prefix(std::string_view client_id) {
  std::string out;
  append_u64(out, client_id.size());
  out.append(client_id);
  return out;
}

std::string idempotency(std::string_view client_id, std::string_view key) {
  auto out = idempotency_prefix(client_id);
  out.append(key);
  return out;
}

std::string idempotency_value(uint64_t created_ms, std::string_view job_id) {
  std::string out;
  append_u64(out, created_ms);
  out.append(job_id);
  return out;
}

std::optional<idempotency_entry> parse_idempotency_value(std::string_view v) {
  auto at = read_u64(v);
  if (!at || v.size() == 8)
    return std::nullopt;
  return idempotency_entry{*at, v.substr(8)};
}

std::string job(std::string_view id) {
  return std::string{id};
}

std::string active(uint8_t priority, std::string_view job_id) {
  auto out = active_prefix(priority);
  out.append(job_id);
  return out;
}

std::string active_prefix(uint8_t priority) {
  return std::string(1, static_cast<char>(priority));
}

std::optional<active_entry> parse_active(std::string_view key) {
  if (key.size() < 2)
    return std::nullopt;
  return active_entry{static_cast<uint8_t>(key[0]), key.substr(1)};
}

std::string callback_prefix(std::string_view job_id) {
  std::string out{job_id};
  out.push_back('\0');
  return out;
}

std::string callback(std::string_view job_id, std::string_view url) {
  auto out = callback_prefix(job_id);
  out.append(url);
  return out;
}

} // namespace ns::store::keys
