#include "actors/live_jobs.hpp"

#include <algorithm>
#include <utility>

namespace ns {

namespace {

constexpr size_t hex_digits = 24;

/// Lower-case hex only: one spelling per number keeps the key exact.
bool parse_hex(std::string_view in, uint64_t& out) {
  out = 0;
  for (auto c : in) {
    uint64_t d;
    if (c >= '0' && c <= '9')
      d = static_cast<uint64_t>(c - '0');
    else if (c >= 'a' && c <= 'f')
      d = static_cast<uint64_t>(c - 'a' + 10);
    else
      return false;
    out = (out << 4) | d;
  }
  return true;
}

/// Splits `<node>-<24 hex>` into node and digits.
bool split(std::string_view id, std::string_view& node,
           std::string_view& digits) {
  if (id.size() < hex_digits + 2 || id[id.size() - hex_digits - 1] != '-')
    return false;
  node = id.substr(0, id.size() - hex_digits - 1);
  digits = id.substr(id.size() - hex_digits);
  return true;
}

} // namespace

size_t live_jobs::key_hash::operator()(const key& k) const noexcept {
  // splitmix64's finalizer over the three parts: the time digits alone vary
  // little between jobs of one millisecond.
  uint64_t h
    = k.head ^ ((uint64_t{k.tail} << 32 | k.node) * 0x9E3779B97F4A7C15ULL);
  h ^= h >> 31;
  h *= 0xBF58476D1CE4E5B9ULL;
  h ^= h >> 27;
  h *= 0x94D049BB133111EBULL;
  h ^= h >> 31;
  return static_cast<size_t>(h);
}

std::optional<live_jobs::key> live_jobs::compact(std::string_view id) const {
  std::string_view node;
  std::string_view digits;
  uint64_t head = 0;
  uint64_t tail = 0;
  if (!split(id, node, digits) || !parse_hex(digits.substr(0, 16), head)
      || !parse_hex(digits.substr(16), tail))
    return std::nullopt;
  auto i = std::find(nodes_.begin(), nodes_.end(), node);
  if (i == nodes_.end())
    return std::nullopt;
  return key{head, static_cast<uint32_t>(tail),
             static_cast<uint32_t>(i - nodes_.begin())};
}

std::optional<live_jobs::key> live_jobs::compact(std::string_view id,
                                                 bool add_node) {
  std::string_view node;
  std::string_view digits;
  if (add_node && split(id, node, digits)
      && std::find(nodes_.begin(), nodes_.end(), node) == nodes_.end()) {
    uint64_t ignored = 0;
    if (parse_hex(digits, ignored))
      nodes_.emplace_back(node);
  }
  return std::as_const(*this).compact(id);
}

const live_jobs::entry* live_jobs::find(std::string_view id) const {
  if (auto k = compact(id)) {
    auto i = compact_.find(*k);
    return i != compact_.end() ? &i->second : nullptr;
  }
  auto i = other_.find(std::string{id});
  return i != other_.end() ? &i->second : nullptr;
}

bool live_jobs::emplace(std::string_view id, entry x) {
  if (auto k = compact(id, true))
    return compact_.emplace(*k, std::move(x)).second;
  return other_.emplace(std::string{id}, std::move(x)).second;
}

void live_jobs::erase(std::string_view id) {
  if (auto k = compact(id)) {
    compact_.erase(*k);
    return;
  }
  other_.erase(std::string{id});
}

} // namespace ns
