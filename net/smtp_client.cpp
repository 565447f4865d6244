#include "net/smtp_client.hpp"

#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include <curl/curl.h>

#include "config/thread_name.hpp"

namespace ns::net {

namespace {

/// One message on its way: owns the easy handle and what curl reads.
struct transfer {
  smtp_call call;
  std::function<void(smtp_outcome)> done;
  CURL* easy = nullptr;
  curl_slist* rcpt = nullptr;
  size_t read_pos = 0;
  /// The server's last 4xx or 5xx reply line (a QUIT's "221 Bye" may come
  /// after it).
  std::string last_reply;
  char errbuf[CURL_ERROR_SIZE] = {};

  ~transfer() {
    if (easy != nullptr)
      curl_easy_cleanup(easy);
    curl_slist_free_all(rcpt);
  }
};

size_t read_body(char* out, size_t size, size_t n, void* user) {
  auto* t = static_cast<transfer*>(user);
  auto& msg = t->call.message;
  auto len = std::min(size * n, msg.size() - t->read_pos);
  std::memcpy(out, msg.data() + t->read_pos, len);
  t->read_pos += len;
  return len;
}

/// Keeps the server's last reply line: the reason a failure quotes.
int on_debug(CURL*, curl_infotype type, char* data, size_t size, void* user) {
  if (type != CURLINFO_HEADER_IN)
    return 0;
  auto* t = static_cast<transfer*>(user);
  std::string line{data, size};
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    line.pop_back();
  if (!line.empty() && (line[0] == '4' || line[0] == '5'))
    t->last_reply = std::move(line);
  return 0;
}

/// "550 5.1.1 <x@y>: unknown" -> "5.1.1 <x@y>: unknown".
std::string reply_text(const std::string& line) {
  size_t i = 0;
  while (i < line.size() && i < 3
         && std::isdigit(static_cast<unsigned char>(line[i])))
    ++i;
  if (i == 3 && i < line.size() && (line[i] == ' ' || line[i] == '-'))
    ++i;
  return i == 3 || i == 4 ? line.substr(i) : line;
}

void configure(transfer& t) {
  auto* e = t.easy;
  auto& c = t.call;
  auto url = std::string{c.tls == smtp_tls::implicit ? "smtps://" : "smtp://"}
    + c.host + ":" + std::to_string(c.port);
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.errbuf);
  curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
  curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, on_debug);
  curl_easy_setopt(e, CURLOPT_DEBUGDATA, &t);
  curl_easy_setopt(e, CURLOPT_USE_SSL,
                   c.tls == smtp_tls::starttls
                     ? static_cast<long>(CURLUSESSL_ALL)
                     : static_cast<long>(CURLUSESSL_NONE));
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, c.verify ? 1L : 0L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, c.verify ? 2L : 0L);
  if (!c.ca_file.empty())
    curl_easy_setopt(e, CURLOPT_CAINFO, c.ca_file.c_str());
  if (!c.username.empty()) {
    curl_easy_setopt(e, CURLOPT_USERNAME, c.username.c_str());
    curl_easy_setopt(e, CURLOPT_PASSWORD, c.password.c_str());
  }
  auto from = "<" + c.mail_from + ">";
  curl_easy_setopt(e, CURLOPT_MAIL_FROM, from.c_str());
  for (auto& r : c.rcpt_to)
    t.rcpt = curl_slist_append(t.rcpt, ("<" + r + ">").c_str());
  curl_easy_setopt(e, CURLOPT_MAIL_RCPT, t.rcpt);
  curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(e, CURLOPT_READFUNCTION, read_body);
  curl_easy_setopt(e, CURLOPT_READDATA, &t);
  curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE,
                   static_cast<curl_off_t>(c.message.size()));
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(c.connect_timeout.count()));
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(c.timeout.count()));
}

smtp_outcome outcome_of(transfer& t, CURLcode rc) {
  smtp_outcome out;
  long code = 0;
  curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &code);
  if (rc == CURLE_OK) {
    out.delivered = true;
    out.code = static_cast<unsigned>(code);
    return out;
  }
  std::string detail = t.errbuf[0] != '\0' ? t.errbuf : curl_easy_strerror(rc);
  switch (rc) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
      out.permanent = true;
      out.message = "tls: certificate verify failed: " + detail;
      return out;
    case CURLE_USE_SSL_FAILED:
      out.permanent = true;
      out.message = "the server does not offer STARTTLS: " + detail;
      return out;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
      out.not_sent = true;
      out.message = "connect: " + detail;
      return out;
    case CURLE_OPERATION_TIMEDOUT:
      out.message = "timeout: " + detail;
      return out;
    case CURLE_LOGIN_DENIED: out.permanent = true; break;
    default: break;
  }
  if (code >= 400 && code < 600 && !t.last_reply.empty()) {
    out.code = static_cast<unsigned>(code);
    out.message = reply_text(t.last_reply);
  } else {
    out.message = detail;
  }
  return out;
}

std::once_flag curl_init;

} // namespace

struct smtp_client::impl {
  CURLM* multi = nullptr;
  std::mutex mtx;
  std::deque<std::unique_ptr<transfer>> pending;
  bool stopping = false;
  std::vector<std::unique_ptr<transfer>> active;
  std::thread thread;

  void start(transfer& t) {
    t.easy = curl_easy_init();
    configure(t);
    curl_multi_add_handle(multi, t.easy);
  }

  void finish(CURL* easy, CURLcode rc) {
    auto i = std::find_if(active.begin(), active.end(), [&](auto& t) {
      return t->easy == easy;
    });
    if (i == active.end())
      return;
    auto t = std::move(*i);
    active.erase(i);
    curl_multi_remove_handle(multi, easy);
    auto out = outcome_of(*t, rc);
    t->done(std::move(out));
  }

  void run() {
    for (;;) {
      std::deque<std::unique_ptr<transfer>> fresh;
      {
        std::lock_guard<std::mutex> lock{mtx};
        if (stopping)
          break;
        fresh.swap(pending);
      }
      for (auto& t : fresh) {
        start(*t);
        active.push_back(std::move(t));
      }
      int running = 0;
      curl_multi_perform(multi, &running);
      int left = 0;
      while (auto* msg = curl_multi_info_read(multi, &left))
        if (msg->msg == CURLMSG_DONE)
          finish(msg->easy_handle, msg->data.result);
      curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
    }
    for (auto& t : active) {
      curl_multi_remove_handle(multi, t->easy);
      smtp_outcome out;
      out.message = "shutting down";
      t->done(std::move(out));
    }
    active.clear();
  }
};

smtp_client::smtp_client(long max_idle) : impl_(std::make_unique<impl>()) {
  std::call_once(curl_init, [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
  });
  impl_->multi = curl_multi_init();
  curl_multi_setopt(impl_->multi, CURLMOPT_MAXCONNECTS, max_idle);
  impl_->thread = std::thread{[this] {
    name_this_thread("ns.smtp");
    impl_->run();
  }};
}

smtp_client::~smtp_client() {
  stop();
  curl_multi_cleanup(impl_->multi);
}

void smtp_client::send(smtp_call call, std::function<void(smtp_outcome)> done) {
  {
    std::lock_guard<std::mutex> lock{impl_->mtx};
    if (!impl_->stopping) {
      auto t = std::make_unique<transfer>();
      t->call = std::move(call);
      t->done = std::move(done);
      impl_->pending.push_back(std::move(t));
      curl_multi_wakeup(impl_->multi);
      return;
    }
  }
  smtp_outcome out;
  out.message = "shutting down";
  done(std::move(out));
}

void smtp_client::stop() {
  {
    std::lock_guard<std::mutex> lock{impl_->mtx};
    if (impl_->stopping && !impl_->thread.joinable())
      return;
    impl_->stopping = true;
    curl_multi_wakeup(impl_->multi);
  }
  if (impl_->thread.joinable())
    impl_->thread.join();
  std::deque<std::unique_ptr<transfer>> left;
  {
    std::lock_guard<std::mutex> lock{impl_->mtx};
    left.swap(impl_->pending);
  }
  for (auto& t : left) {
    smtp_outcome out;
    out.message = "shutting down";
    t->done(std::move(out));
  }
}

} // namespace ns::net
