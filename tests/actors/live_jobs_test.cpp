#include <gtest/gtest.h>

#include "actors/job.hpp"
#include "actors/live_jobs.hpp"

using namespace ns;

namespace {

// The entries' handles are not looked at: tell entries apart by the set of
// ids still found.
live_jobs::entry none() {
  return live_jobs::entry{};
}

} // namespace

TEST(LiveJobs, FindsJobIdsOfEveryNodeAndOtherForms) {
  live_jobs live;
  std::vector<std::string> ids;
  for (int i = 0; i < 100; ++i)
    ids.push_back(new_job_id(i % 2 == 0 ? "n1" : "node7"));
  // Not new_job_id's form: an older one, upper-case hex, short, no node.
  for (auto odd :
       {"n1-0192f3a4b5c6-1a2b", "n1-0192F3A4B5C6000000A1B2C3", "j1",
        "-0192f3a4b5c6000000a1b2c3d4", "0192f3a4b5c6000000a1b2c3d4e5f6"})
    ids.emplace_back(odd);
  for (auto& id : ids)
    EXPECT_TRUE(live.emplace(id, none())) << id;
  EXPECT_EQ(live.size(), ids.size());
  for (auto& id : ids)
    EXPECT_TRUE(live.contains(id)) << id;
  // Once only.
  EXPECT_FALSE(live.emplace(ids[0], none()));
  EXPECT_FALSE(live.emplace("j1", none()));
  EXPECT_EQ(live.size(), ids.size());
}

TEST(LiveJobs, TellsIdsApartThatDifferInOneDigitOrTheirNode) {
  live_jobs live;
  std::string id = "n1-0192f3a4b5c6000000a1b2c3";
  id += "d4";
  ASSERT_TRUE(live.emplace(id, none()));
  for (size_t i = 3; i < id.size(); ++i) {
    auto other = id;
    other[i] = other[i] == '0' ? '1' : '0';
    EXPECT_FALSE(live.contains(other)) << other;
  }
  EXPECT_FALSE(live.contains("n2" + id.substr(2)));
  EXPECT_FALSE(live.contains("xn1" + id.substr(2)));
  // The upper-case spelling of the same digits is another id.
  EXPECT_FALSE(live.contains("n1-0192F3A4B5C6000000A1B2C3D4"));
  EXPECT_TRUE(live.contains(id));
}

TEST(LiveJobs, EraseAndVisit) {
  live_jobs live;
  auto a = new_job_id("n1");
  auto b = new_job_id("n1");
  ASSERT_TRUE(live.emplace(a, none()));
  ASSERT_TRUE(live.emplace(b, none()));
  ASSERT_TRUE(live.emplace("old-style", none()));
  size_t seen = 0;
  live.for_each([&](const live_jobs::entry&) {
    ++seen;
  });
  EXPECT_EQ(seen, 3u);
  live.erase(a);
  live.erase("old-style");
  live.erase("never-there");
  live.erase(new_job_id("n9")); // a node it never saw
  EXPECT_FALSE(live.contains(a));
  EXPECT_FALSE(live.contains("old-style"));
  EXPECT_TRUE(live.contains(b));
  EXPECT_EQ(live.size(), 1u);
}
