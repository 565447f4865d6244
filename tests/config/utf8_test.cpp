#include <gtest/gtest.h>

#include "config/utf8.hpp"

using namespace ns;

TEST(Utf8, ValidityFollowsRfc3629) {
  using list = std::initializer_list<std::string_view>;
  for (auto ok :
       list{"", "plain", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
            "\xed\x9f\xbf", "\xf4\x8f\xbf\xbf", std::string_view{"a\0b", 3}})
    EXPECT_TRUE(utf8::valid(ok)) << ok;
  for (auto bad : list{"\xff", "\x80", "caf\xe9", "\xc0\xaf", "\xe0\x80\xaf",
                       "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
                       "\xe2\x82", "\xf0\x9f\x98"})
    EXPECT_FALSE(utf8::valid(bad)) << bad;
}

TEST(Utf8, CutEndsOnACharacterBoundary) {
  std::string s = "ab\xe2\x82\xac"; // "ab€": 5 bytes
  EXPECT_EQ(utf8::cut(s, 10), s);
  EXPECT_EQ(utf8::cut(s, 5), s);
  EXPECT_EQ(utf8::cut(s, 4), "ab");
  EXPECT_EQ(utf8::cut(s, 3), "ab");
  EXPECT_EQ(utf8::cut(s, 2), "ab");
  EXPECT_EQ(utf8::cut(s, 0), "");
  for (size_t n = 0; n <= 40; ++n)
    EXPECT_TRUE(utf8::valid(utf8::cut("\xf0\x9f\x98\x80\xc3\xa9xyz\xe2\x82\xac"
                                      "\xf0\x9f\x98\x80\xc3\xa9xyz",
                                      n)))
      << n;
}

TEST(Utf8, SanitizeReplacesWhatIsNotUtf8) {
  EXPECT_EQ(utf8::sanitize("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(utf8::sanitize("caf\xe9!"), "caf\xef\xbf\xbd!");
  EXPECT_EQ(utf8::sanitize("/v1/jobs/\xff"), "/v1/jobs/\xef\xbf\xbd");
  EXPECT_EQ(utf8::sanitize("a\xe2\x82"), "a\xef\xbf\xbd");
  EXPECT_TRUE(utf8::valid(utf8::sanitize("\xc0\xaf\xed\xa0\x80\xf8\x88\x80")));
}

TEST(Utf8, PrintableRefusesControlCharacters) {
  EXPECT_TRUE(utf8::printable("order-1 caf\xc3\xa9 \xe2\x82\xac"));
  EXPECT_TRUE(utf8::printable("\xc2\xa0")); // U+00A0 is not a control
  EXPECT_FALSE(utf8::printable("a\tb"));
  EXPECT_FALSE(utf8::printable("a\nb"));
  EXPECT_FALSE(utf8::printable("\x7f"));
  EXPECT_FALSE(utf8::printable("\xc2\x85")); // U+0085, a C1 control
  EXPECT_FALSE(utf8::printable("caf\xe9"));  // Latin-1, not UTF-8
}
