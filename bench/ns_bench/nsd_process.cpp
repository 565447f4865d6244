#include "ns_bench/nsd_process.hpp"

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>
#include <utility>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ns_bench/admin.hpp"

namespace ns::bench {

namespace fs = std::filesystem;

namespace {

bool port_bindable(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

// Below (or above) the kernel's ephemeral range, so that no outgoing
// connection takes the port between our pick and nsd's bind.
std::pair<int, int> port_range() {
  int low = 32768;
  int high = 60999;
  std::ifstream in{"/proc/sys/net/ipv4/ip_local_port_range"};
  in >> low >> high;
  if (low - 10000 >= 2000)
    return {10000, low - 1};
  return {high + 1, 65535};
}

} // namespace

int free_port() {
  // The same reservation as tests/support/nsd.py: an flock held for the
  // life of this process, so parallel benches and tests never share a port.
  auto dir = fs::temp_directory_path() / "ns-test-ports";
  std::error_code ignored;
  fs::create_directories(dir, ignored);
  auto [first, last] = port_range();
  std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int> pick{first, last};
  for (int attempt = 0; attempt < 1000; ++attempt) {
    int port = pick(rng);
    auto path = (dir / std::to_string(port)).string();
    int fd
      = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (fd < 0)
      return 0;
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0 || !port_bindable(port)) {
      ::close(fd);
      continue;
    }
    // Kept open (and locked) until the process ends.
    return port;
  }
  return 0;
}

namespace {

std::string random_hex(int bytes) {
  std::random_device rd;
  std::ostringstream out;
  for (int i = 0; i < bytes; ++i)
    out << "0123456789abcdef"[rd() % 16] << "0123456789abcdef"[rd() % 16];
  return out.str();
}

} // namespace

nsd_process::nsd_process(std::string binary, std::vector<std::string> settings,
                         bool keep_dir)
  : binary_(std::move(binary)), settings_(std::move(settings)),
    keep_dir_(keep_dir) {
  auto tmpl = (fs::temp_directory_path() / "ns-bench.XXXXXX").string();
  if (::mkdtemp(tmpl.data()))
    dir_ = tmpl;
  token_ = "bench-" + random_hex(16);
}

nsd_process::~nsd_process() {
  kill9();
  if (!dir_.empty() && !keep_dir_) {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
}

std::string nsd_process::start(double timeout_s) {
  if (dir_.empty())
    return "cannot create a temp dir";
  if (pid_ != 0)
    return "nsd already runs";
  int http_port = free_port();
  int adapter_port = free_port();
  if (http_port == 0 || adapter_port == 0)
    return "no free loopback port";
  url_.host = "127.0.0.1";
  url_.port = static_cast<uint16_t>(http_port);
  std::vector<std::string> args{
    binary_, "--store.path=" + dir_ + "/store",
    "--http.listen=127.0.0.1:" + std::to_string(url_.port),
    "--admin.token=" + token_,
    // Its own adapter port too: two benches (or
    // a bench beside a running nsd) never clash.
    "--adapters.listen=tcp://127.0.0.1:" + std::to_string(adapter_port)};
  for (const auto& s : settings_)
    args.push_back("--" + s);
  auto log = dir_ + "/nsd-" + std::to_string(++starts_) + ".log";
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  // Settings from our environment must not leak into the measured nsd; the
  // list is built before fork (only async-signal-safe calls after it).
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e)
    if (std::string_view{*e}.rfind("NS_", 0) != 0)
      env.emplace_back(*e);
  std::vector<char*> envp;
  for (auto& e : env)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0)
    return "fork failed";
  if (pid == 0) {
    // nsd must not outlive ns-bench, even when ns-bench is SIGKILLed.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent)
      ::_exit(127);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0)
      ::dup2(null, 0);
    ::execve(binary_.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  pid_ = pid;
  auto deadline = std::chrono::steady_clock::now()
    + std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = 0;
      return "nsd exited at start; log:\n" + log_tail();
    }
    if (http_call(url_, "GET", "/readyz", {}, {}, 1).status == 200)
      return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill9();
  return "nsd not ready within " + std::to_string(timeout_s) + " s; log:\n"
    + log_tail();
}

void nsd_process::kill9() {
  if (pid_ == 0)
    return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = 0;
}

void nsd_process::stop() {
  if (pid_ == 0)
    return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 1000; ++i) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = 0;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill9();
}

std::string nsd_process::log_tail() const {
  std::ifstream in{dir_ + "/nsd-" + std::to_string(starts_) + ".log"};
  std::stringstream all;
  all << in.rdbuf();
  auto text = all.str();
  return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

} // namespace ns::bench
