#include <map>
#include <random>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <gtest/gtest.h>

#include "actors/ready_queue.hpp"

using namespace ns;

namespace {

// Takes an argument: CAF 0.17 binds a null pointer for a function actor
// spawned without any, which UBSan reports.
caf::behavior idle(caf::event_based_actor*, size_t) {
  return {[](int) {}};
}

struct ReadyQueue : ::testing::Test {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::vector<caf::actor> jobs;

  caf::actor make() {
    jobs.push_back(sys.spawn(idle, jobs.size()));
    return jobs.back();
  }

  void TearDown() override {
    for (auto& x : jobs)
      caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
  }
};

} // namespace

TEST_F(ReadyQueue, HighBeforeNormalBeforeLowThenByArrival) {
  ready_queue q;
  auto low1 = make(), normal2 = make(), high3 = make(), normal4 = make(),
       high5 = make();
  q.push(job_priority::low, 1, low1);
  q.push(job_priority::normal, 2, normal2);
  q.push(job_priority::high, 3, high3);
  q.push(job_priority::normal, 4, normal4);
  q.push(job_priority::high, 5, high5);
  ASSERT_EQ(q.size(), 5u);
  for (auto& want : {high3, high5, normal2, normal4, low1})
    EXPECT_EQ(q.pop(), want);
  EXPECT_TRUE(q.empty());
}

TEST_F(ReadyQueue, OrdersLikeAMapUnderMixedPushesAndPops) {
  ready_queue q;
  std::map<std::pair<int, uint64_t>, caf::actor> reference;
  std::mt19937 gen{42};
  uint64_t seq = 0;
  for (int round = 0; round < 2000; ++round) {
    if (reference.empty() || gen() % 3 != 0) {
      auto p = static_cast<job_priority>(gen() % 3);
      // Retried jobs come back with their old, smaller sequence.
      auto s = gen() % 4 == 0 && seq > 10 ? seq - 10 - gen() % 10 : ++seq;
      if (reference.count({static_cast<int>(p), s}) != 0)
        continue;
      auto hdl = jobs.size() < 300 ? make() : jobs[gen() % jobs.size()];
      reference.emplace(std::make_pair(static_cast<int>(p), s), hdl);
      q.push(p, s, hdl);
    } else {
      ASSERT_EQ(q.pop(), reference.begin()->second) << "round " << round;
      reference.erase(reference.begin());
    }
    ASSERT_EQ(q.size(), reference.size());
  }
}
