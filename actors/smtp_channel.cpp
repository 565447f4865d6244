#include "actors/smtp_channel.hpp"

#include "actors/mime.hpp"
#include "config/error.hpp"

namespace json = boost::json;

namespace ns {

namespace {

/// The addresses of a param that is one address or a list of them; an
/// error names the param.
caf::expected<std::vector<std::string>> addresses(const json::object& params,
                                                  std::string_view key) {
  std::vector<std::string> out;
  auto* v = params.if_contains(key);
  if (v == nullptr)
    return out;
  auto bad = [&] {
    return param_error(key,
                       "params." + std::string{key}
                         + " must be an email address or a list of "
                           "them (\"Name <a@example.com>\" allowed)");
  };
  auto add = [&](const json::value& x) {
    if (!x.is_string() || mime::bare_address(x.get_string()).empty())
      return false;
    out.emplace_back(x.get_string());
    return true;
  };
  if (v->is_array()) {
    for (auto& x : v->get_array())
      if (!add(x))
        return bad();
  } else if (!add(*v)) {
    return bad();
  }
  return out;
}

bool has_line_break(std::string_view s) {
  return s.find_first_of("\r\n") != std::string_view::npos;
}

} // namespace

caf::error check_smtp_params(const json::object& params) {
  size_t recipients = 0;
  for (auto key : {"to", "cc", "bcc"}) {
    auto xs = addresses(params, key);
    if (!xs)
      return xs.error();
    recipients += xs->size();
  }
  if (!params.contains("to") || recipients == 0)
    return param_error("to",
                       "params.to is required: an email address or a "
                       "list of them");
  if (auto* r = params.if_contains("reply_to");
      r && (!r->is_string() || mime::bare_address(r->get_string()).empty()))
    return param_error("reply_to", "params.reply_to must be an email address");
  auto* subject = params.if_contains("subject");
  if (subject == nullptr || !subject->is_string()
      || has_line_break(subject->get_string()))
    return param_error("subject",
                       "params.subject is required: a string "
                       "without line breaks");
  auto* text = params.if_contains("text");
  auto* html = params.if_contains("html");
  if ((text != nullptr && !text->is_string())
      || (html != nullptr && !html->is_string()))
    return param_error(text != nullptr && !text->is_string() ? "text" : "html",
                       "params.text and params.html must be strings");
  if ((text == nullptr || text->get_string().empty())
      && (html == nullptr || html->get_string().empty()))
    return param_error("text", "params.text or params.html is required");
  return {};
}

caf::expected<smtp_call> smtp_message(const json::object& config,
                                      const json::object& params,
                                      const job_record& job) {
  if (auto err = check_smtp_params(params))
    return err;
  smtp_call call;
  call.host = text_of({}, config, "host");
  auto tls = text_of({}, config, "tls");
  call.tls = tls == "none" ? smtp_tls::none
    : tls == "implicit"    ? smtp_tls::implicit
                           : smtp_tls::starttls;
  call.port = call.tls == smtp_tls::implicit ? 465
    : call.tls == smtp_tls::none             ? 25
                                             : 587;
  if (auto* p = config.if_contains("port"); p && p->is_int64())
    call.port = static_cast<uint16_t>(p->get_int64());
  call.username = text_of({}, config, "username");
  call.password = text_of({}, config, "password");
  if (auto* v = config.if_contains("tls_verify"); v && v->is_bool())
    call.verify = v->get_bool();
  call.ca_file = text_of({}, config, "tls_ca_file");
  if (auto* t = config.if_contains("timeout_ms");
      t && t->is_int64() && t->get_int64() > 0)
    call.timeout = std::chrono::milliseconds(t->get_int64());
  mime::message m;
  m.from = text_of({}, config, "from");
  call.mail_from = mime::bare_address(m.from);
  if (call.mail_from.empty())
    return make_error(ec::invalid_field,
                      "config.from is not an email address: " + m.from);
  m.to = *addresses(params, "to");
  m.cc = *addresses(params, "cc");
  auto bcc = *addresses(params, "bcc");
  for (auto* list : {&m.to, &m.cc, &bcc})
    for (auto& a : *list)
      call.rcpt_to.push_back(mime::bare_address(a));
  m.reply_to = text_of(params, {}, "reply_to");
  m.subject = text_of(params, {}, "subject");
  m.text = text_of(params, {}, "text");
  m.html = text_of(params, {}, "html");
  auto domain = call.mail_from.substr(call.mail_from.find('@') + 1);
  // The same id at every attempt: a receiver can drop a repeated delivery.
  m.message_id = job.id + "@" + domain;
  m.date_ms = job.start_ms != 0 ? job.start_ms : job.create_ms;
  call.message = mime::build(m, "=_ns_" + job.id);
  return call;
}

attempt_result smtp_result(const smtp_outcome& out) {
  attempt_result res;
  if (out.delivered) {
    res.outcome = attempt_result::kind::succeeded;
    return res;
  }
  res.outcome = out.not_sent ? attempt_result::kind::not_sent
                             : attempt_result::kind::failed;
  res.message = out.code != 0
    ? "SMTP " + std::to_string(out.code) + ": " + out.message
    : out.message;
  if (out.code >= 500 && out.code < 600)
    res.retryable = false;
  else if (out.code >= 400 && out.code < 500)
    res.retryable = true;
  else
    res.retryable = !out.permanent;
  if (out.permanent)
    res.retryable = false;
  return res;
}

deliver_fn smtp_sender(outbound_smtp* client) {
  return
    [client](const adapter_record& a, const json::object& params,
             const job_record& job, std::function<void(attempt_result)> done) {
      if (client == nullptr)
        return done(failed("this nsd has no SMTP client"));
      auto call = smtp_message(a.config, params, job);
      if (!call)
        return done(failed(message_of(call.error())));
      client->send(std::move(*call), [done](smtp_outcome out) {
        done(smtp_result(out));
      });
    };
}

} // namespace ns
