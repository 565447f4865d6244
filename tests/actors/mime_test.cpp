#include <gtest/gtest.h>

#include "actors/mime.hpp"

using namespace ns;

namespace {

std::string decode64(std::string_view in) {
  static const std::string alphabet
    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    auto i = alphabet.find(c);
    if (i == std::string::npos)
      continue; // '=' padding
    acc = (acc << 6) | static_cast<uint32_t>(i);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

} // namespace

TEST(Mime, Base64MatchesRfc4648Vectors) {
  EXPECT_EQ(mime::base64(""), "");
  EXPECT_EQ(mime::base64("f"), "Zg==");
  EXPECT_EQ(mime::base64("fo"), "Zm8=");
  EXPECT_EQ(mime::base64("foo"), "Zm9v");
  EXPECT_EQ(mime::base64("foobar"), "Zm9vYmFy");
}

TEST(Mime, Base64WrapsAt76Columns) {
  std::string data(200, 'x');
  auto out = mime::base64(data, true);
  size_t line = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '\r') {
      ASSERT_EQ(out[i + 1], '\n');
      EXPECT_EQ(line, 76u);
      line = 0;
      ++i;
    } else {
      ++line;
    }
  }
  EXPECT_LE(line, 76u);
  EXPECT_EQ(out.find("\r\n", out.size() - 2), std::string::npos);
}

TEST(Mime, AsciiSubjectsStayReadable) {
  EXPECT_EQ(mime::encode_word("Your invoice #42"), "Your invoice #42");
}

TEST(Mime, Utf8SubjectsBecomeEncodedWords) {
  EXPECT_EQ(mime::encode_word("Grüße"), "=?UTF-8?B?R3LDvMOfZQ==?=");
  // Control characters are not left in a header either.
  EXPECT_EQ(mime::encode_word("a\tb").rfind("=?UTF-8?B?", 0), 0u);
}

TEST(Mime, LongUtf8SubjectsFoldWithoutSplittingCharacters) {
  std::string subject;
  for (int i = 0; i < 40; ++i)
    subject += "ж€"; // 2 + 3 bytes
  auto out = mime::encode_word(subject);
  std::string joined;
  size_t pos = 0;
  size_t words = 0;
  while ((pos = out.find("=?UTF-8?B?", pos)) != std::string::npos) {
    auto end = out.find("?=", pos + 10);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end + 2 - pos, 75u); // RFC 2047's limit per encoded-word
    auto chunk = decode64(out.substr(pos + 10, end - pos - 10));
    // A word holds whole characters: it never starts with a continuation
    // byte (10xxxxxx).
    ASSERT_FALSE(chunk.empty());
    EXPECT_NE(static_cast<unsigned char>(chunk[0]) & 0xc0, 0x80);
    joined += chunk;
    pos = end + 2;
    ++words;
  }
  EXPECT_GT(words, 1u);
  EXPECT_EQ(joined, subject);
  EXPECT_NE(out.find("?=\r\n =?UTF-8?B?"), std::string::npos);
}

TEST(Mime, AddressesWithUtf8NamesAreEncoded) {
  EXPECT_EQ(mime::encode_address("Jürgen <j@example.com>"),
            "=?UTF-8?B?SsO8cmdlbg==?= <j@example.com>");
  EXPECT_EQ(mime::encode_address("Ops <ops@example.com>"),
            "Ops <ops@example.com>");
  EXPECT_EQ(mime::encode_address("a@example.com"), "a@example.com");
}

TEST(Mime, BareAddressRejectsInjection) {
  EXPECT_EQ(mime::bare_address("Ops <ops@example.com>"), "ops@example.com");
  EXPECT_EQ(mime::bare_address("a@b.c"), "a@b.c");
  EXPECT_EQ(mime::bare_address("no-at-sign"), "");
  EXPECT_EQ(mime::bare_address("a@b.c\r\nBcc: x@y.z"), "");
  EXPECT_EQ(mime::bare_address("Ops <ops@example.com"), "");
  EXPECT_EQ(mime::bare_address("a b@c.d"), "");
}

TEST(Mime, BothBodiesMakeMultipartAlternative) {
  mime::message m;
  m.from = "Ops <ops@example.com>";
  m.to = {"a@example.com", "Bé <b@example.com>"};
  m.subject = "Grüße";
  m.text = "plain ü";
  m.html = "<p>html ü</p>";
  m.message_id = "n1-1@example.com";
  m.date_ms = 0;
  auto out = mime::build(m, "BOUNDARY");
  EXPECT_NE(out.find("Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n"),
            std::string::npos);
  EXPECT_NE(out.find("To: a@example.com, =?UTF-8?B?QsOp?= <b@example.com>"),
            std::string::npos);
  EXPECT_NE(out.find("Content-Type: multipart/alternative; "
                     "boundary=\"BOUNDARY\""),
            std::string::npos);
  EXPECT_NE(out.find("Content-Type: text/plain; charset=UTF-8"),
            std::string::npos);
  EXPECT_NE(out.find("Content-Type: text/html; charset=UTF-8"),
            std::string::npos);
  EXPECT_NE(out.find(mime::base64("plain ü")), std::string::npos);
  EXPECT_NE(out.find("--BOUNDARY--\r\n"), std::string::npos);
  EXPECT_NE(out.find("Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"),
            std::string::npos);
  EXPECT_NE(out.find("Message-ID: <n1-1@example.com>\r\n"), std::string::npos);
  // Every line ends in CRLF.
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '\n') {
      ASSERT_TRUE(i > 0 && out[i - 1] == '\r') << i;
    }
  }
}

TEST(Mime, OneBodyIsASinglePart) {
  mime::message m;
  m.from = "ops@example.com";
  m.to = {"a@example.com"};
  m.subject = "s";
  m.html = "<b>x</b>";
  auto out = mime::build(m, "B");
  EXPECT_EQ(out.find("multipart"), std::string::npos);
  EXPECT_NE(out.find("Content-Type: text/html; charset=UTF-8"),
            std::string::npos);
}
