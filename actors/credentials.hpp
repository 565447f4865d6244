#pragma once

#include <string>
#include <string_view>

// API keys, secrets and ids: random, hashed for storage, compared in constant
// time.

namespace ns::credentials {

/// `nsk_` + 192 random bits (base64url): a client service's API key.
std::string new_client_key();

/// `nsa_` + 192 random bits (base64url): an external adapter's key.
std::string new_adapter_key();

/// `nss_` + 256 random bits (base64url): a client's callback signing secret.
std::string new_signing_secret();

/// `<prefix>` + 48-bit millisecond time + 32 random bits, hex: sorts by
/// creation time.
std::string new_id(std::string_view prefix);

/// An admin token: 256 random bits, base64url.
std::string new_admin_token();

/// SHA-256 of `key`, as 64 lowercase hex digits. This is what is stored.
std::string hash_key(std::string_view key);

/// Equality whose time depends only on the lengths, not on the contents.
bool equal_constant_time(std::string_view a, std::string_view b);

/// HMAC-SHA256 of `data` under `secret`, as lowercase hex.
std::string hmac_sha256_hex(std::string_view secret, std::string_view data);

} // namespace ns::credentials
