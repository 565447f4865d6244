#include <gtest/gtest.h>

#include "ns_bench/http_head.hpp"

using namespace ns::bench;

TEST(BenchHttpHead, IncompleteHeadWaits) {
  http_head h;
  bool ok = true;
  EXPECT_FALSE(parse_head("HTTP/1.1 202 Accepted\r\nContent-Le", true, h, ok));
}

TEST(BenchHttpHead, ParsesStatusLengthAndClose) {
  http_head h;
  bool ok = false;
  std::string_view msg = "HTTP/1.1 202 Accepted\r\nserver: ns\r\n"
                         "content-length:  12 \r\nConnection: close\r\n\r\n"
                         "{\"a\":1}";
  ASSERT_TRUE(parse_head(msg, true, h, ok));
  EXPECT_TRUE(ok);
  EXPECT_EQ(h.status, 202);
  EXPECT_EQ(h.content_length, 12u);
  EXPECT_TRUE(h.close);
  EXPECT_EQ(h.head_bytes, msg.find("{"));
}

TEST(BenchHttpHead, Http10ClosesUnlessKeepAlive) {
  http_head h;
  bool ok = false;
  ASSERT_TRUE(parse_head("HTTP/1.0 200 OK\r\n\r\n", true, h, ok));
  EXPECT_TRUE(h.close);
  ASSERT_TRUE(parse_head("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n",
                         true, h, ok));
  EXPECT_FALSE(h.close);
}

TEST(BenchHttpHead, RejectsGarbage) {
  http_head h;
  bool ok = true;
  ASSERT_TRUE(parse_head("SSH-2.0-x\r\n\r\n", true, h, ok));
  EXPECT_FALSE(ok);
  ASSERT_TRUE(
    parse_head("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", true, h, ok));
  EXPECT_FALSE(ok);
}

TEST(BenchHttpHead, ParsesRequestsAndChunked) {
  http_head h;
  bool ok = false;
  ASSERT_TRUE(parse_head("POST /hook HTTP/1.1\r\nTransfer-Encoding: chunked"
                         "\r\n\r\n",
                         false, h, ok));
  EXPECT_TRUE(ok);
  EXPECT_TRUE(h.chunked);
  EXPECT_FALSE(h.close);
}

TEST(BenchHttpHead, FindsStampAndCounts) {
  std::string_view body
    = R"({"job_id":"n1-a","params":{"t":1000000000000000123,"text":"x"}})";
  EXPECT_EQ(find_json_uint(body, "\"t\":"), 1000000000000000123ULL);
  EXPECT_EQ(find_json_uint(body, "\"missing\":"), 0u);
  EXPECT_EQ(
    count_of(R"({"job_id":"a"},{"job_id":"b"},{"error":{}})", "\"job_id\":\""),
    2u);
}
