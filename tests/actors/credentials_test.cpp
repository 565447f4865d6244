#include <cctype>
#include <chrono>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "actors/credentials.hpp"

using namespace ns;

TEST(Credentials, KeysHavePrefixAndEnoughRandomness) {
  auto key = credentials::new_client_key();
  EXPECT_EQ(key.rfind("nsk_", 0), 0u);
  EXPECT_EQ(key.size(), 4u + 32u); // 192 bits in base64url
  EXPECT_EQ(credentials::new_adapter_key().rfind("nsa_", 0), 0u);
  EXPECT_EQ(credentials::new_signing_secret().rfind("nss_", 0), 0u);
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i)
    seen.insert(credentials::new_client_key());
  EXPECT_EQ(seen.size(), 1000u);
  for (char c : key.substr(4))
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-'
                || c == '_')
      << c;
}

TEST(Credentials, IdsSortByCreationTime) {
  auto a = credentials::new_id("cl_");
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  auto b = credentials::new_id("cl_");
  EXPECT_EQ(a.rfind("cl_", 0), 0u);
  EXPECT_EQ(a.size(), 3u + 20u);
  EXPECT_LT(a, b);
}

TEST(Credentials, HashIsSha256Hex) {
  // SHA-256("abc"), FIPS 180-2 example.
  EXPECT_EQ(credentials::hash_key("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto key = credentials::new_client_key();
  EXPECT_EQ(credentials::hash_key(key), credentials::hash_key(key));
  EXPECT_EQ(credentials::hash_key(key).find(key), std::string::npos);
}

TEST(Credentials, ConstantTimeComparison) {
  EXPECT_TRUE(credentials::equal_constant_time("secret", "secret"));
  EXPECT_FALSE(credentials::equal_constant_time("secret", "secreT"));
  EXPECT_FALSE(credentials::equal_constant_time("secret", "secret2"));
  EXPECT_FALSE(credentials::equal_constant_time("", "x"));
  EXPECT_TRUE(credentials::equal_constant_time("", ""));
}

TEST(Credentials, HmacSha256MatchesRfc4231) {
  // RFC 4231, test case 2.
  EXPECT_EQ(
    credentials::hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}
