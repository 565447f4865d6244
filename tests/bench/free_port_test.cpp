#include <filesystem>
#include <fstream>
#include <string>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "ns_bench/nsd_process.hpp"

using namespace ns::bench;

namespace {

// True when another open of the port's lock file cannot take the lock, i.e.
// the port is reserved (flock locks belong to the open file description, so
// this holds within one process too).
bool reserved(int port) {
  auto path = std::filesystem::temp_directory_path() / "ns-test-ports"
    / std::to_string(port);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  bool locked = ::flock(fd, LOCK_EX | LOCK_NB) != 0;
  ::close(fd);
  return locked;
}

} // namespace

TEST(BenchFreePort, IsOutsideTheEphemeralRangeAndReserved) {
  int low = 32768;
  int high = 60999;
  std::ifstream{"/proc/sys/net/ipv4/ip_local_port_range"} >> low >> high;
  int a = free_port();
  int b = free_port();
  ASSERT_NE(a, 0);
  ASSERT_NE(b, 0);
  EXPECT_NE(a, b);
  for (int port : {a, b}) {
    // An outgoing connect() takes ports from this range at any time.
    EXPECT_TRUE(port < low || port > high) << port;
    EXPECT_TRUE(reserved(port)) << port;
  }
}
