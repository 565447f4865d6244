#include "actors/credentials.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace ns::credentials {

namespace {

template <size_t N>
std::array<unsigned char, N> random_bytes() {
  std::array<unsigned char, N> buf{};
  // Without entropy no key may be issued: that is a broken host, not input.
  if (RAND_bytes(buf.data(), static_cast<int>(N)) != 1)
    throw std::runtime_error("RAND_bytes failed: no entropy");
  return buf;
}

std::string base64url(const unsigned char* data, size_t len) {
  static constexpr char alphabet[]
    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((len * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= len; i += 3) {
    uint32_t n = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += alphabet[n & 63];
  }
  if (len - i == 1) {
    uint32_t n = data[i] << 16;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
  } else if (len - i == 2) {
    uint32_t n = (data[i] << 16) | (data[i + 1] << 8);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
  }
  return out;
}

std::string hex(const unsigned char* data, size_t len) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (size_t i = 0; i < len; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 15];
  }
  return out;
}

template <size_t N>
std::string random_token(std::string_view prefix) {
  auto buf = random_bytes<N>();
  return std::string{prefix} + base64url(buf.data(), buf.size());
}

} // namespace

std::string new_client_key() {
  return random_token<24>("nsk_");
}

std::string new_adapter_key() {
  return random_token<24>("nsa_");
}

std::string new_signing_secret() {
  return random_token<32>("nss_");
}

std::string new_admin_token() {
  return random_token<32>("");
}

std::string new_id(std::string_view prefix) {
  using namespace std::chrono;
  auto ms = static_cast<uint64_t>(
    duration_cast<milliseconds>(system_clock::now().time_since_epoch())
      .count());
  std::array<unsigned char, 10> buf{};
  for (int i = 0; i < 6; ++i)
    buf[i] = static_cast<unsigned char>(ms >> (8 * (5 - i)));
  auto rnd = random_bytes<4>();
  std::copy(rnd.begin(), rnd.end(), buf.begin() + 6);
  return std::string{prefix} + hex(buf.data(), buf.size());
}

std::string hash_key(std::string_view key) {
  // Fetched once: EVP_sha256() makes OpenSSL 3 look the implementation up
  // again on every call, and every request's API key is hashed.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (sha256 == nullptr
      || EVP_Digest(key.data(), key.size(), md.data(), &len, sha256, nullptr)
        != 1)
    throw std::runtime_error("EVP_Digest(sha256) failed");
  return hex(md.data(), len);
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string hmac_sha256_hex(std::string_view secret, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(),
           md.data(), &len)
      == nullptr)
    throw std::runtime_error("HMAC(sha256) failed");
  return hex(md.data(), len);
}

} // namespace ns::credentials
