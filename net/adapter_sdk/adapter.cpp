#include "net/adapter_sdk/adapter.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include <sys/eventfd.h>
#include <unistd.h>

#include <zmq.hpp>

#include "net/adapter_sdk/protocol.hpp"

namespace ns::adapter_sdk {

namespace proto = adapter_protocol;
using namespace std::chrono;

namespace {

uint64_t now_ms() {
  return static_cast<uint64_t>(
    duration_cast<milliseconds>(system_clock::now().time_since_epoch())
      .count());
}

/// Refusals that waiting cannot fix: run() returns them.
bool fatal(std::string_view code) {
  return code == proto::code::bad_key
    || code == proto::code::unsupported_version
    || code == proto::code::key_rotated || code == proto::code::adapter_deleted
    || code == proto::code::malformed;
}

} // namespace

bool job::sleep_unless_canceled(milliseconds d) const {
  auto until = steady_clock::now() + d;
  while (steady_clock::now() < until) {
    if (canceled())
      return true;
    std::this_thread::sleep_for(std::min<steady_clock::duration>(
      milliseconds(5), until - steady_clock::now()));
  }
  return canceled();
}

struct adapter::impl {
  struct queued {
    uint64_t session = 0;
    job j;
  };
  struct done {
    uint64_t session = 0;
    proto::result res;
  };

  options opts;
  handler fn;
  int wakeup = -1;
  std::atomic<bool> stopping{false};

  std::mutex mtx;
  std::condition_variable cv;
  std::deque<queued> pending;
  std::deque<done> finished;
  uint64_t session = 0; // guarded by mtx

  std::atomic<uint64_t> received{0}, succeeded{0}, failed{0}, canceled{0},
    expired{0}, sessions{0};

  void say(const std::string& text) {
    if (opts.log)
      opts.log(text);
  }

  void wake() {
    uint64_t one = 1;
    (void)!::write(wakeup, &one, sizeof(one));
  }

  void finish(uint64_t s, proto::result res) {
    {
      std::lock_guard<std::mutex> guard{mtx};
      finished.push_back(done{s, std::move(res)});
    }
    wake();
  }

  /// One handler thread: the expiry check, then the handler.
  void work() {
    for (;;) {
      queued q;
      {
        std::unique_lock<std::mutex> lock{mtx};
        cv.wait(lock, [&] {
          return stopping || !pending.empty();
        });
        if (stopping)
          return;
        q = std::move(pending.front());
        pending.pop_front();
      }
      proto::result res;
      res.job_id = q.j.id;
      res.credit = 1;
      if (now_ms() >= q.j.expire_at_ms) {
        res.what = proto::outcome::expired;
        expired += 1;
      } else if (q.j.canceled()) {
        res.what = proto::outcome::canceled;
        canceled += 1;
      } else {
        result r;
        try {
          r = fn(q.j);
        } catch (const std::exception& e) {
          r = result::failed(true, std::string{"handler threw: "} + e.what());
        } catch (...) {
          r = result::failed(true, "handler threw");
        }
        switch (r.what) {
          case result::kind::succeeded:
            res.what = proto::outcome::succeeded;
            succeeded += 1;
            break;
          case result::kind::failed:
            res.what = proto::outcome::failed;
            res.retryable = r.retryable;
            res.retry_after_ms = r.retry_after_ms;
            failed += 1;
            break;
          case result::kind::canceled:
            res.what = proto::outcome::canceled;
            canceled += 1;
            break;
        }
        res.message = std::move(r.message);
      }
      finish(q.session, std::move(res));
    }
  }

  /// One session: connect, hello, serve until it ends. Returns a fatal
  /// refusal, or empty to reconnect (or because of stop()).
  std::string serve(zmq::context_t& ctx, bool& welcomed) {
    zmq::socket_t sock{ctx, zmq::socket_type::dealer};
    sock.set(zmq::sockopt::linger, 0);
    // Results are bounded by credit: never dropped at the high-water mark.
    sock.set(zmq::sockopt::sndhwm, static_cast<int>(3 * proto::max_credit));
    sock.connect(opts.endpoint);
    auto send = [&](std::string_view type, const std::string& body) {
      try {
        sock.send(zmq::buffer(type),
                  zmq::send_flags::sndmore | zmq::send_flags::dontwait);
        sock.send(zmq::buffer(body), zmq::send_flags::dontwait);
      } catch (const zmq::error_t&) {
      }
    };
    uint64_t my_session = 0;
    {
      std::lock_guard<std::mutex> guard{mtx};
      my_session = ++session;
    }
    welcomed = false;
    auto heartbeat = opts.heartbeat;
    auto timeout = opts.timeout;
    send("hello",
         proto::encode(
           proto::hello{proto::version, opts.key, opts.credit, opts.name}));
    auto last_rx = steady_clock::now();
    auto last_tx = last_rx;
    // Jobs this session holds: id -> cancel flag.
    std::unordered_map<std::string, std::shared_ptr<std::atomic<bool>>> held;
    std::string outcome;
    auto reply = [&](proto::result res) {
      held.erase(res.job_id);
      send("result", proto::encode(res));
      last_tx = steady_clock::now();
    };
    auto on_job = [&](std::string_view body) {
      std::string why;
      auto j = proto::decode_job(body, why);
      if (!j) {
        say("dropped a malformed job: " + why);
        return;
      }
      received += 1;
      if (now_ms() >= j->expire_at_ms) {
        // Refused before the handler could run.
        expired += 1;
        proto::result res;
        res.job_id = j->job_id;
        res.what = proto::outcome::expired;
        res.credit = 1;
        reply(std::move(res));
        return;
      }
      job x;
      x.id = std::move(j->job_id);
      x.idempotency_key = std::move(j->idempotency_key);
      x.attempt = j->attempt;
      x.priority = std::move(j->priority);
      x.create_time = std::move(j->create_time);
      x.expire_time = std::move(j->expire_time);
      x.expire_at_ms = j->expire_at_ms;
      x.params = std::move(j->params);
      x.canceled_flag = std::make_shared<std::atomic<bool>>(false);
      held[x.id] = x.canceled_flag;
      {
        std::lock_guard<std::mutex> guard{mtx};
        pending.push_back(queued{my_session, std::move(x)});
      }
      cv.notify_one();
    };
    auto on_cancel = [&](std::string_view body) {
      std::string why;
      auto c = proto::decode_cancel(body, why);
      if (!c)
        return;
      auto i = held.find(c->job_id);
      if (i == held.end())
        return; // answered already
      i->second->store(true);
      bool was_waiting = false;
      {
        std::lock_guard<std::mutex> guard{mtx};
        for (auto p = pending.begin(); p != pending.end(); ++p)
          if (p->j.id == c->job_id) {
            pending.erase(p);
            was_waiting = true;
            break;
          }
      }
      // A running handler sees the flag; a waiting job is answered now.
      if (was_waiting) {
        canceled += 1;
        proto::result res;
        res.job_id = c->job_id;
        res.what = proto::outcome::canceled;
        res.credit = 1;
        reply(std::move(res));
      }
    };
    auto on_refusal = [&](std::string_view type, std::string_view body) {
      std::string why;
      auto r = proto::decode_refusal(body, why);
      auto code = r ? r->code : std::string{"malformed"};
      auto text = code + (r && !r->message.empty() ? ": " + r->message : "");
      say("nsd said " + std::string{type} + ": " + text);
      if (fatal(code))
        outcome = text;
      return true;
    };

    zmq::pollitem_t items[] = {
      {sock.handle(), 0, ZMQ_POLLIN, 0},
      {nullptr, wakeup, ZMQ_POLLIN, 0},
    };
    bool over = false;
    while (!over) {
      if (stopping) {
        if (welcomed)
          send("bye",
               proto::encode(proto::refusal{proto::code::client_closed,
                                            "adapter stopping"}));
        // Let the bye leave before the socket closes.
        sock.set(zmq::sockopt::linger, 200);
        break;
      }
      try {
        zmq::poll(items, 2,
                  milliseconds(std::max<int64_t>(10, heartbeat.count() / 2)));
      } catch (const zmq::error_t& e) {
        if (e.num() == EINTR)
          continue;
        say(std::string{"poll failed: "} + e.what());
        break;
      }
      if (items[1].revents & ZMQ_POLLIN) {
        uint64_t n = 0;
        (void)!::read(wakeup, &n, sizeof(n));
        std::deque<done> out;
        {
          std::lock_guard<std::mutex> guard{mtx};
          out.swap(finished);
        }
        for (auto& d : out)
          // A result of an earlier session: nsd delivers that job again.
          if (d.session == my_session && welcomed)
            reply(std::move(d.res));
      }
      while (!over) {
        std::vector<zmq::message_t> frames;
        for (;;) {
          zmq::message_t f;
          if (!sock.recv(f, zmq::recv_flags::dontwait))
            break;
          bool more = f.more();
          frames.push_back(std::move(f));
          if (!more)
            break;
        }
        if (frames.empty())
          break;
        last_rx = steady_clock::now();
        if (frames.size() != 2)
          continue;
        auto type = proto::parse_type(frames[0].to_string_view());
        auto body = frames[1].to_string_view();
        if (!type)
          continue;
        switch (*type) {
          case proto::msg_type::welcome: {
            std::string why;
            if (auto w = proto::decode_welcome(body, why)) {
              welcomed = true;
              sessions += 1;
              if (w->heartbeat_ms > 0)
                heartbeat = milliseconds(w->heartbeat_ms);
              if (w->timeout_ms > 0)
                timeout = milliseconds(w->timeout_ms);
              say("connected to " + opts.endpoint + " as instance "
                  + w->instance_id + " of adapter '" + w->adapter + "'");
            }
            break;
          }
          case proto::msg_type::job: on_job(body); break;
          case proto::msg_type::cancel: on_cancel(body); break;
          case proto::msg_type::refuse:
          case proto::msg_type::bye:
            on_refusal(to_string(*type), body);
            over = true;
            break;
          default: break;
        }
      }
      auto now = steady_clock::now();
      if (welcomed && now - last_tx >= heartbeat) {
        send("heartbeat", "{}");
        last_tx = now;
      }
      if (now - last_rx > timeout) {
        say("nsd silent for " + std::to_string(timeout.count())
            + " ms; reconnecting");
        over = true;
      }
    }
    // Jobs not started are dropped: nsd delivers them again.
    {
      std::lock_guard<std::mutex> guard{mtx};
      std::erase_if(pending, [&](const queued& q) {
        return q.session == my_session;
      });
      session += 1;
    }
    return outcome;
  }
};

adapter::adapter(options opts, handler fn) : impl_(std::make_unique<impl>()) {
  impl_->opts = std::move(opts);
  impl_->fn = std::move(fn);
  impl_->wakeup = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

adapter::~adapter() {
  stop();
  if (impl_->wakeup >= 0)
    ::close(impl_->wakeup);
}

void adapter::stop() {
  impl_->stopping = true;
  impl_->cv.notify_all();
  impl_->wake();
}

stats adapter::counters() const {
  auto& im = *impl_;
  return stats{im.received, im.succeeded, im.failed,
               im.canceled, im.expired,   im.sessions};
}

std::string adapter::run() {
  auto& im = *impl_;
  if (im.wakeup < 0)
    return "cannot create an eventfd";
  if (im.opts.credit == 0)
    return "credit must be at least 1";
  auto n = im.opts.workers != 0 ? im.opts.workers
                                : std::min<uint32_t>(im.opts.credit, 64);
  std::vector<std::thread> workers;
  for (unsigned i = 0; i < n; ++i)
    workers.emplace_back([&im] {
      im.work();
    });
  zmq::context_t ctx{1};
  std::string outcome;
  auto backoff = im.opts.backoff_min;
  while (!im.stopping) {
    bool welcomed = false;
    try {
      outcome = im.serve(ctx, welcomed);
    } catch (const zmq::error_t& e) {
      outcome = std::string{"zeromq: "} + e.what();
    }
    if (!outcome.empty() || im.stopping)
      break;
    if (welcomed)
      backoff = im.opts.backoff_min;
    // Wait before the next hello; stop() cuts the wait short.
    std::unique_lock<std::mutex> lock{im.mtx};
    im.cv.wait_for(lock, backoff, [&] {
      return im.stopping.load();
    });
    backoff = std::min(backoff * 2, im.opts.backoff_max);
  }
  im.stopping = true;
  im.cv.notify_all();
  for (auto& w : workers)
    w.join();
  return outcome;
}

} // namespace ns::adapter_sdk
