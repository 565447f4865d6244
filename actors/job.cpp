#include "actors/job.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <random>

#include "config/error.hpp"
#include "config/utf8.hpp"

namespace ns {

namespace {

constexpr uint8_t format_version = 1;

// Fixed-size head first, so that peek_* need not parse strings:
// version u8, state u8, priority u8, attempts u32, six u64 times.
constexpr size_t head_size = 3 + 4 + 6 * 8;

void put_u32(std::string& out, uint32_t x) {
  for (int s = 24; s >= 0; s -= 8)
    out.push_back(static_cast<char>((x >> s) & 0xFF));
}

void put_u64(std::string& out, uint64_t x) {
  for (int s = 56; s >= 0; s -= 8)
    out.push_back(static_cast<char>((x >> s) & 0xFF));
}

void put_str(std::string& out, std::string_view s) {
  put_u32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

struct reader {
  std::string_view in;
  size_t pos = 0;
  bool ok = true;

  uint64_t uint(size_t n) {
    if (pos + n > in.size()) {
      ok = false;
      return 0;
    }
    uint64_t x = 0;
    for (size_t i = 0; i < n; ++i)
      x = (x << 8) | static_cast<uint8_t>(in[pos + i]);
    pos += n;
    return x;
  }
  std::string str() {
    auto n = uint(4);
    if (!ok || pos + n > in.size()) {
      ok = false;
      return {};
    }
    std::string out{in.substr(pos, n)};
    pos += n;
    return out;
  }
};

template <class Job>
void put_head(std::string& out, const Job& x) {
  out.push_back(static_cast<char>(format_version));
  out.push_back(static_cast<char>(x.state));
  out.push_back(static_cast<char>(x.priority));
  put_u32(out, x.attempts);
  for (auto t : {x.create_ms, x.expire_ms, x.scheduled_ms, x.start_ms,
                 x.finish_ms, x.retry_at_ms})
    put_u64(out, t);
}

// resident_job's packing: LEB128 lengths, 1 byte for any string under 128.

void put_varint(std::string& out, size_t n) {
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7F) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
}

size_t varint_size(size_t n) {
  size_t out = 1;
  for (; n >= 0x80; n >>= 7)
    ++out;
  return out;
}

/// Reads the length at `pos` and moves `pos` past it. Only ever reads what
/// put_varint wrote, so no bounds checks.
size_t get_varint(std::string_view in, size_t& pos) {
  size_t n = 0;
  for (int shift = 0;; shift += 7) {
    auto b = static_cast<uint8_t>(in[pos++]);
    n |= static_cast<size_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0)
      return n;
  }
}

constexpr size_t id_field = 0;
constexpr size_t adapter_field = 2;
constexpr size_t last_error_field = 6;

} // namespace

resident_job::resident_job(const job_record& x)
  : priority(x.priority), state(x.state), attempts(x.attempts),
    create_ms(x.create_ms), expire_ms(x.expire_ms),
    scheduled_ms(x.scheduled_ms), start_ms(x.start_ms), finish_ms(x.finish_ms),
    retry_at_ms(x.retry_at_ms) {
  auto fields
    = {&x.id,           &x.client_id, &x.adapter, &x.params, &x.idempotency_key,
       &x.callback_url, &x.last_error};
  size_t size = 0;
  for (auto* f : fields)
    size += varint_size(f->size()) + f->size();
  // Exactly this size: the buffer lives as long as the job.
  strings_.clear();
  strings_.reserve(size);
  for (auto* f : fields) {
    put_varint(strings_, f->size());
    strings_.append(*f);
  }
}

size_t resident_job::offset_of(size_t index) const {
  size_t pos = 0;
  for (size_t i = 0; i < index; ++i)
    pos += get_varint(strings_, pos);
  return pos;
}

std::string_view resident_job::field(size_t index) const {
  auto pos = offset_of(index);
  auto n = get_varint(strings_, pos);
  return std::string_view{strings_}.substr(pos, n);
}

std::string_view resident_job::id() const {
  return field(id_field);
}

std::string_view resident_job::adapter() const {
  return field(adapter_field);
}

std::string_view resident_job::last_error() const {
  return field(last_error_field);
}

void resident_job::set_last_error(std::string_view text) {
  // `text` may point into strings_. It may also come from outside (a
  // receiver's answer, an SMTP reply) and GET shows it as JSON: UTF-8 only.
  auto copy = utf8::sanitize(text);
  strings_.resize(offset_of(last_error_field));
  put_varint(strings_, copy.size());
  strings_.append(copy);
}

job_record resident_job::record() const {
  job_record out;
  out.priority = priority;
  out.state = state;
  out.attempts = attempts;
  out.create_ms = create_ms;
  out.expire_ms = expire_ms;
  out.scheduled_ms = scheduled_ms;
  out.start_ms = start_ms;
  out.finish_ms = finish_ms;
  out.retry_at_ms = retry_at_ms;
  size_t pos = 0;
  for (auto* f : {&out.id, &out.client_id, &out.adapter, &out.params,
                  &out.idempotency_key, &out.callback_url, &out.last_error}) {
    auto n = get_varint(strings_, pos);
    f->assign(strings_, pos, n);
    pos += n;
  }
  return out;
}

std::string_view to_string(job_state x) {
  switch (x) {
    case job_state::scheduled: return "scheduled";
    case job_state::queued: return "queued";
    case job_state::running: return "running";
    case job_state::retrying: return "retrying";
    case job_state::canceling: return "canceling";
    case job_state::succeeded: return "succeeded";
    case job_state::failed: return "failed";
    case job_state::expired: return "expired";
    case job_state::canceled: return "canceled";
  }
  return "failed";
}

bool is_final(job_state x) {
  return x == job_state::succeeded || x == job_state::failed
    || x == job_state::expired || x == job_state::canceled;
}

std::string_view to_string(job_priority x) {
  switch (x) {
    case job_priority::high: return "high";
    case job_priority::normal: return "normal";
    case job_priority::low: return "low";
  }
  return "normal";
}

bool parse_priority(std::string_view text, job_priority& out) {
  if (text == "high")
    out = job_priority::high;
  else if (text == "normal")
    out = job_priority::normal;
  else if (text == "low")
    out = job_priority::low;
  else
    return false;
  return true;
}

std::string encode(const job_record& x) {
  std::string out;
  out.reserve(head_size + 64 + x.id.size() + x.params.size());
  put_head(out, x);
  for (auto* s : {&x.id, &x.client_id, &x.adapter, &x.params,
                  &x.idempotency_key, &x.callback_url, &x.last_error})
    put_str(out, *s);
  return out;
}

std::string encode(const resident_job& x) {
  std::string out;
  out.reserve(head_size + 7 * 4 + x.strings_.size());
  put_head(out, x);
  size_t pos = 0;
  while (pos < x.strings_.size()) {
    auto n = get_varint(x.strings_, pos);
    put_str(out, std::string_view{x.strings_}.substr(pos, n));
    pos += n;
  }
  return out;
}

caf::expected<job_record> decode_job(std::string_view bytes) {
  reader r{bytes};
  job_record x;
  if (r.uint(1) != format_version)
    return make_error(ec::store_failure, "job record of unknown format");
  auto state = r.uint(1);
  auto prio = r.uint(1);
  if (state > static_cast<uint8_t>(job_state::canceled) || prio > 2)
    return make_error(ec::store_failure, "corrupt job record");
  x.state = static_cast<job_state>(state);
  x.priority = static_cast<job_priority>(prio);
  x.attempts = static_cast<uint32_t>(r.uint(4));
  for (auto* t : {&x.create_ms, &x.expire_ms, &x.scheduled_ms, &x.start_ms,
                  &x.finish_ms, &x.retry_at_ms})
    *t = r.uint(8);
  for (auto* s : {&x.id, &x.client_id, &x.adapter, &x.params,
                  &x.idempotency_key, &x.callback_url, &x.last_error})
    *s = r.str();
  if (!r.ok)
    return make_error(ec::store_failure, "truncated job record");
  return x;
}

std::optional<job_state> peek_state(std::string_view bytes) {
  if (bytes.size() < head_size || bytes[0] != format_version)
    return std::nullopt;
  auto s = static_cast<uint8_t>(bytes[1]);
  if (s > static_cast<uint8_t>(job_state::canceled))
    return std::nullopt;
  return static_cast<job_state>(s);
}

std::optional<uint64_t> peek_finish_ms(std::string_view bytes) {
  if (bytes.size() < head_size || bytes[0] != format_version)
    return std::nullopt;
  reader r{bytes, 3 + 4 + 4 * 8};
  return r.uint(8);
}

std::string new_job_id(std::string_view node) {
  using namespace std::chrono;
  static constexpr char digits[] = "0123456789abcdef";
  auto ms = static_cast<uint64_t>(
    duration_cast<milliseconds>(system_clock::now().time_since_epoch())
      .count());
  // A process-wide sequence orders ids made in the same millisecond (FIFO
  // within a priority); random bits keep ids apart should the clock step
  // back across a restart. Uniqueness is needed here, not secrecy.
  static std::atomic<uint32_t> seq{0};
  thread_local std::mt19937_64 gen{std::random_device{}()};
  auto n = seq.fetch_add(1, std::memory_order_relaxed);
  auto rnd = gen();
  std::string out{node};
  out += '-';
  for (int s = 44; s >= 0; s -= 4)
    out += digits[(ms >> s) & 15];
  for (int s = 28; s >= 0; s -= 4)
    out += digits[(n >> s) & 15];
  for (int s = 12; s >= 0; s -= 4)
    out += digits[(rnd >> s) & 15];
  return out;
}

} // namespace ns
