#include <string>

#include <gtest/gtest.h>

#include "actors/metrics.hpp"

using namespace std::chrono_literals;

namespace ns {
namespace {

TEST(LatencyHistogram,
     CountsEachObservationInItsBucketAndRendersThemCumulative) {
  latency_histogram h;
  h.observe(300us); // <= 0.0005
  h.observe(500us); // on the bound: still <= 0.0005
  h.observe(700us); // <= 0.001
  h.observe(2s);    // <= 2.5
  h.observe(-5ms);  // a clock that stepped back counts as 0
  h.observe(2min);  // past the last bound: only +Inf
  std::string out;
  h.render(out, "x_seconds", "Help text.");
  EXPECT_NE(out.find("# HELP x_seconds Help text.\n# TYPE x_seconds "
                     "histogram\n"),
            std::string::npos)
    << out;
  EXPECT_NE(out.find("x_seconds_bucket{le=\"0.0005\"} 3\n"), std::string::npos)
    << out;
  EXPECT_NE(out.find("x_seconds_bucket{le=\"0.001\"} 4\n"), std::string::npos)
    << out;
  EXPECT_NE(out.find("x_seconds_bucket{le=\"1\"} 4\n"), std::string::npos)
    << out;
  EXPECT_NE(out.find("x_seconds_bucket{le=\"2.5\"} 5\n"), std::string::npos)
    << out;
  EXPECT_NE(out.find("x_seconds_bucket{le=\"60\"} 5\n"), std::string::npos)
    << out;
  EXPECT_NE(out.find("x_seconds_bucket{le=\"+Inf\"} 6\n"), std::string::npos)
    << out;
  EXPECT_NE(out.find("x_seconds_sum 122.0015\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_count 6\n"), std::string::npos) << out;
}

TEST(LatencyHistogram, RendersEveryBucketWhenEmpty) {
  latency_histogram h;
  std::string out;
  h.render(out, "y", "h");
  size_t buckets = 0;
  for (auto at = out.find("y_bucket"); at != std::string::npos;
       at = out.find("y_bucket", at + 1))
    ++buckets;
  EXPECT_EQ(buckets, latency_histogram::bounds_s.size() + 1);
  EXPECT_NE(out.find("y_sum 0\ny_count 0\n"), std::string::npos) << out;
}

TEST(RenderMetric, WritesHelpAndTypeOnlyWhenGivenAndLabelsInBraces) {
  std::string out;
  render_metric(out, "n_total", "counter", "Things.", "", 7);
  render_metric(out, "g", "gauge", "", "a=\"b\"", 2.5);
  EXPECT_EQ(out,
            "# HELP n_total Things.\n# TYPE n_total counter\n"
            "n_total 7\ng{a=\"b\"} 2.5\n");
}

TEST(LabelValue, EscapesBackslashQuoteAndNewline) {
  EXPECT_EQ(label_value("plain-name_1"), "plain-name_1");
  EXPECT_EQ(label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

} // namespace
} // namespace ns
