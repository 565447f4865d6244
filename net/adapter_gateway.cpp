#include "net/adapter_gateway.hpp"

#include <unordered_map>

#include <sys/eventfd.h>
#include <unistd.h>

#include <caf/send.hpp>
#include <zmq.hpp>

#include "actors/clock.hpp"
#include "actors/credentials.hpp"
#include "actors/external_instance.hpp"
#include "config/error.hpp"
#include "config/log.hpp"
#include "config/thread_name.hpp"
#include "net/adapter_sdk/protocol.hpp"

namespace ns::net {

namespace proto = adapter_protocol;

namespace {

/// How long the last byes may take to leave at shutdown.
constexpr int shutdown_linger_ms = 500;

std::string peer_address(zmq::message_t& frame) {
  const char* addr = zmq_msg_gets(frame.handle(), "Peer-Address");
  return addr != nullptr ? std::string{addr} : std::string{"?"};
}

attempt_result to_attempt(const proto::result& r) {
  attempt_result res;
  res.message = r.message;
  switch (r.what) {
    case proto::outcome::succeeded:
      res.outcome = attempt_result::kind::succeeded;
      break;
    case proto::outcome::failed:
      res.outcome = attempt_result::kind::failed;
      res.retryable = r.retryable;
      res.retry_after_ms = r.retry_after_ms;
      break;
    case proto::outcome::canceled:
      // Not sent: a cancel wins; without one it is tried again.
      res.outcome = attempt_result::kind::not_sent;
      res.retryable = true;
      if (res.message.empty())
        res.message = "canceled by the adapter instance before it was sent";
      break;
    case proto::outcome::expired:
      res.outcome = attempt_result::kind::not_sent;
      res.retryable = true;
      if (res.message.empty())
        res.message = "refused by the adapter instance: past expire_time";
      break;
  }
  return res;
}

} // namespace

struct adapter_gateway::impl {
  struct session {
    caf::actor proxy;
    std::string id;
  };

  impl(caf::actor_system& sys, adapter_gateway_settings settings,
       std::shared_ptr<registry_view> view, job_manager_actor manager,
       std::shared_ptr<instance_board> board)
    : sys(sys), settings(std::move(settings)), view(std::move(view)),
      manager(std::move(manager)), board(std::move(board)) {
  }

  caf::actor_system& sys;
  adapter_gateway_settings settings;
  std::shared_ptr<registry_view> view;
  job_manager_actor manager;
  std::shared_ptr<instance_board> board;
  zmq::context_t ctx{1};
  zmq::socket_t router{ctx, zmq::socket_type::router};
  int wakeup = -1;
  std::atomic<bool> stopping{false};
  std::string endpoint;
  std::unordered_map<std::string, session> sessions;
};

adapter_gateway::adapter_gateway(caf::actor_system& sys,
                                 adapter_gateway_settings settings,
                                 std::shared_ptr<registry_view> view,
                                 job_manager_actor manager,
                                 std::shared_ptr<instance_board> board)
  : impl_(std::make_unique<impl>(sys, std::move(settings), std::move(view),
                                 std::move(manager), std::move(board))) {
}

adapter_gateway::~adapter_gateway() {
  stop();
  if (impl_->wakeup >= 0)
    ::close(impl_->wakeup);
}

caf::error adapter_gateway::start() {
  auto& im = *impl_;
  im.wakeup = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (im.wakeup < 0)
    return make_error(ec::invalid_config, "adapters: cannot create eventfd");
  try {
    im.router.set(zmq::sockopt::router_mandatory, 1);
    // Credit bounds the jobs queued for one instance; the high-water mark
    // must not drop them first (cancels and heartbeats ride along).
    im.router.set(zmq::sockopt::sndhwm,
                  static_cast<int>(3 * proto::max_credit));
    im.router.set(zmq::sockopt::linger, 0);
    im.router.set(zmq::sockopt::maxmsgsize,
                  static_cast<int64_t>(proto::max_body_bytes));
    im.router.bind(im.settings.listen);
    im.endpoint = im.router.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return make_error(ec::invalid_config,
                      "adapters.listen: cannot bind '" + im.settings.listen
                        + "': " + e.what());
  }
  thread_ = std::thread{[this] {
    name_this_thread("ns.adapters");
    run();
  }};
  return {};
}

void adapter_gateway::stop() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (stopped_)
      return;
    stopped_ = true;
  }
  if (!thread_.joinable())
    return;
  impl_->stopping = true;
  uint64_t one = 1;
  (void)!::write(impl_->wakeup, &one, sizeof(one));
  thread_.join();
}

std::string adapter_gateway::endpoint() const {
  return impl_->endpoint;
}

void adapter_gateway::post(outgoing x) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (stopped_)
      return;
    wake = queue_.empty();
    queue_.push_back(std::move(x));
  }
  if (wake) {
    uint64_t one = 1;
    (void)!::write(impl_->wakeup, &one, sizeof(one));
  }
}

void adapter_gateway::send_welcome(const std::string& peer,
                                   const std::string& instance_id,
                                   const std::string& adapter) {
  auto& s = impl_->settings;
  proto::welcome w{instance_id, adapter,
                   static_cast<uint64_t>(s.heartbeat.count()),
                   static_cast<uint64_t>(s.timeout.count())};
  post({peer, "welcome", proto::encode(w)});
}

void adapter_gateway::send_job(const std::string& peer, const job_record& job) {
  proto::job j;
  j.job_id = job.id;
  j.idempotency_key = job.idempotency_key;
  j.attempt = job.attempts;
  j.priority = std::string{to_string(job.priority)};
  j.create_time = clock::rfc3339(job.create_ms);
  j.expire_time = clock::rfc3339(job.expire_ms);
  j.expire_at_ms = job.expire_ms;
  post({peer, "job", proto::encode(j, job.params)});
}

void adapter_gateway::send_cancel(const std::string& peer,
                                  const std::string& job_id) {
  post({peer, "cancel", proto::encode(proto::cancel{job_id})});
}

void adapter_gateway::send_heartbeat(const std::string& peer) {
  post({peer, "heartbeat", "{}"});
}

void adapter_gateway::close(const std::string& peer, const std::string& code,
                            const std::string& message) {
  // An instance that said bye itself is not answered.
  auto type
    = code == proto::code::client_closed ? std::string{} : std::string{"bye"};
  post({peer, std::move(type), proto::encode(proto::refusal{code, message}),
        true});
}

void adapter_gateway::run() {
  auto& im = *impl_;
  auto send = [&](const std::string& peer, std::string_view type,
                  std::string_view body) {
    try {
      // A peer that is gone (EHOSTUNREACH) or not reading (HWM) loses the
      // message; its proxy times out or it reconnects.
      if (!im.router.send(zmq::buffer(peer),
                          zmq::send_flags::sndmore | zmq::send_flags::dontwait))
        return;
      im.router.send(zmq::buffer(type),
                     zmq::send_flags::sndmore | zmq::send_flags::dontwait);
      im.router.send(zmq::buffer(body), zmq::send_flags::dontwait);
    } catch (const zmq::error_t&) {
    }
  };
  auto refuse = [&](const std::string& peer, const char* code,
                    const std::string& why, const std::string& addr) {
    log::warning() << "adapters: refused " << addr << ": " << why;
    send(peer, "refuse", proto::encode(proto::refusal{code, why}));
  };
  auto drop = [&](const std::string& addr, const std::string& why) {
    auto n = ++malformed_;
    // One line per power of two: a flood does not flood the log.
    if ((n & (n - 1)) == 0)
      log::warning() << "adapters: dropped a malformed message from " << addr
                     << " (" << why << "); " << n << " so far";
  };
  auto hello = [&](const std::string& peer, std::string_view body,
                   const std::string& addr) {
    std::string why;
    auto h = proto::decode_hello(body, why);
    if (!h) {
      ++malformed_;
      refuse(peer, proto::code::malformed, "bad hello: " + why, addr);
      return;
    }
    if (h->protocol != proto::version) {
      refuse(peer, proto::code::unsupported_version,
             "protocol " + std::to_string(h->protocol)
               + " is not supported; this nsd speaks protocol "
               + std::to_string(proto::version),
             addr);
      return;
    }
    auto snap = im.view->get();
    auto* entry = snap->adapter_by_key(h->key);
    if (entry == nullptr) {
      refuse(peer, proto::code::bad_key, "unknown adapter key", addr);
      return;
    }
    if (entry->rec.blocked) {
      refuse(peer, proto::code::adapter_blocked,
             "adapter '" + entry->rec.name + "' is blocked", addr);
      return;
    }
    auto info = std::make_shared<instance_info>();
    info->id = credentials::new_id("ins_");
    info->adapter = entry->rec.name;
    info->peer = addr;
    info->name = h->name;
    info->connected_ms = clock::now_ms();
    external_instance_config cfg;
    cfg.link = this;
    cfg.board = im.board;
    cfg.manager = im.manager;
    cfg.peer = peer;
    cfg.adapter = entry->rec.name;
    cfg.key_hash = entry->rec.key_hash;
    cfg.credit = h->credit;
    cfg.heartbeat = im.settings.heartbeat;
    cfg.timeout = im.settings.timeout;
    auto id = info->id;
    auto proxy
      = im.sys.spawn(external_instance, std::move(info), std::move(cfg));
    im.sessions.emplace(peer, impl::session{proxy, id});
    log::info() << "adapter '" << entry->rec.name << "': instance " << id
                << " connected from " << addr
                << (h->name.empty() ? "" : " (" + h->name + ")") << ", credit "
                << h->credit;
  };
  auto incoming = [&] {
    std::vector<zmq::message_t> frames;
    for (;;) {
      zmq::message_t frame;
      auto got = im.router.recv(frame, zmq::recv_flags::dontwait);
      if (!got)
        return false;
      bool more = frame.more();
      if (frames.size() < 4)
        frames.push_back(std::move(frame));
      if (!more)
        break;
    }
    auto addr = peer_address(frames.back());
    if (frames.size() != 3) {
      drop(addr, "expected 2 frames, type and body");
      return true;
    }
    auto peer = frames[0].to_string();
    auto type = proto::parse_type(frames[1].to_string_view());
    auto body = frames[2].to_string_view();
    if (!type) {
      drop(addr, "unknown message type");
      return true;
    }
    auto s = im.sessions.find(peer);
    if (s == im.sessions.end()) {
      switch (*type) {
        case proto::msg_type::hello: hello(peer, body, addr); break;
        case proto::msg_type::result:
        case proto::msg_type::credit:
        case proto::msg_type::heartbeat:
          // nsd restarted or dropped the session: say hello again.
          send(peer, "bye",
               proto::encode(proto::refusal{proto::code::unknown_instance,
                                            "no session; say hello"}));
          break;
        case proto::msg_type::bye: break;
        default: drop(addr, "not a message an instance sends");
      }
      return true;
    }
    auto& proxy = s->second.proxy;
    std::string why;
    switch (*type) {
      case proto::msg_type::hello:
        send(peer, "refuse",
             proto::encode(proto::refusal{proto::code::already_welcomed,
                                          "this connection has a session"}));
        break;
      case proto::msg_type::result:
        if (auto r = proto::decode_result(body, why))
          caf::anon_send(proxy,
                         instance_result{r->job_id, to_attempt(*r), r->credit});
        else
          drop(addr, why);
        break;
      case proto::msg_type::credit:
        if (auto c = proto::decode_credit(body, why))
          caf::anon_send(proxy, instance_credit{c->credit});
        else
          drop(addr, why);
        break;
      case proto::msg_type::heartbeat:
        if (proto::decode_empty(body, why))
          caf::anon_send(proxy, atom::heartbeat::value);
        else
          drop(addr, why);
        break;
      case proto::msg_type::bye:
        caf::anon_send(proxy, atom::close::value,
                       std::string{proto::code::client_closed},
                       std::string{"the instance said bye"});
        im.sessions.erase(s);
        break;
      default: drop(addr, "not a message an instance sends");
    }
    return true;
  };
  auto outgoing_all = [&] {
    uint64_t n = 0;
    (void)!::read(im.wakeup, &n, sizeof(n));
    std::deque<outgoing> batch;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      batch.swap(queue_);
    }
    for (auto& x : batch) {
      if (!x.type.empty())
        send(x.peer, x.type, x.body);
      if (x.forget)
        im.sessions.erase(x.peer);
    }
  };

  zmq::pollitem_t items[] = {
    {im.router.handle(), 0, ZMQ_POLLIN, 0},
    {nullptr, im.wakeup, ZMQ_POLLIN, 0},
  };
  log::info() << "adapters: listening on " << im.endpoint;
  while (!im.stopping) {
    try {
      zmq::poll(items, 2, std::chrono::milliseconds(-1));
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR)
        continue;
      log::error() << "adapters: poll failed: " << e.what();
      break;
    }
    if (items[1].revents & ZMQ_POLLIN)
      outgoing_all();
    // Bounded so that outgoing messages are not starved by a flood.
    for (int i = 0; i < 1024 && (items[0].revents & ZMQ_POLLIN); ++i)
      if (!incoming())
        break;
  }
  // Shutdown: every instance hears it, every proxy ends (their jobs are
  // redelivered after the next start).
  for (auto& [peer, s] : im.sessions) {
    send(peer, "bye",
         proto::encode(
           proto::refusal{proto::code::shutting_down, "nsd is shutting down"}));
    caf::anon_send(s.proxy, atom::close::value,
                   std::string{proto::code::shutting_down},
                   std::string{"nsd is shutting down"});
  }
  im.sessions.clear();
  im.router.set(zmq::sockopt::linger, shutdown_linger_ms);
  im.router.close();
  log::info() << "adapters: stopped (" << malformed_.load()
              << " malformed messages dropped)";
}

} // namespace ns::net
