#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "actors/channels.hpp"
#include "actors/mattermost_channel.hpp"
#include "actors/sms_channel.hpp"
#include "actors/smtp_channel.hpp"
#include "actors/telegram_channel.hpp"
#include "config/error.hpp"

using namespace ns;
namespace json = boost::json;
using kind = attempt_result::kind;

namespace {

json::object obj(std::string_view text) {
  return json::parse(text).as_object();
}

http_outcome answer(unsigned status, std::string body) {
  http_outcome out;
  out.status = status;
  out.body = std::move(body);
  return out;
}

} // namespace

TEST(Telegram, BuildsSendMessage) {
  auto cfg = obj(R"({"bot_token":"123:abc","api_base":"http://h:1/"})");
  auto call = telegram_call(cfg, obj(R"({"chat_id":42,"text":"hi",
                                         "parse_mode":"HTML",
                                         "disable_notification":true})"));
  ASSERT_TRUE(call);
  EXPECT_EQ(call->url, "http://h:1/bot123:abc/sendMessage");
  EXPECT_EQ(call->method, "POST");
  EXPECT_EQ(json::parse(call->body),
            json::parse(R"({"chat_id":42,"text":"hi","parse_mode":"HTML",
                            "disable_notification":true})"));
  call = telegram_call(obj(R"({"bot_token":"t"})"),
                       obj(R"({"chat_id":"@chan","text":"x"})"));
  ASSERT_TRUE(call);
  EXPECT_EQ(call->url, "https://api.telegram.org/bott/sendMessage");
  EXPECT_FALSE(telegram_call(cfg, obj(R"({"text":"x"})")));
  EXPECT_FALSE(telegram_call(cfg, obj(R"({"chat_id":1})")));
}

TEST(Telegram, MapsAnswers) {
  auto cfg = obj(R"({"bot_token":"123:secret"})");
  EXPECT_EQ(
    telegram_outcome(answer(200, R"({"ok":true,"result":{}})"), cfg).outcome,
    kind::succeeded);
  auto r = telegram_outcome(
    answer(429,
           R"({"ok":false,"error_code":429,"description":"Too Many )"
           R"(Requests: retry after 7","parameters":{"retry_after":7}})"),
    cfg);
  EXPECT_EQ(r.outcome, kind::failed);
  EXPECT_TRUE(r.retryable);
  EXPECT_EQ(r.retry_after_ms, 7000u);
  r = telegram_outcome(answer(400,
                              R"({"ok":false,"error_code":400,)"
                              R"("description":"Bad Request: chat not )"
                              R"(found"})"),
                       cfg);
  EXPECT_FALSE(r.retryable);
  EXPECT_EQ(r.message, "telegram 400: Bad Request: chat not found");
  r = telegram_outcome(answer(403,
                              R"({"ok":false,"error_code":403,)"
                              R"("description":"Forbidden: bot was )"
                              R"(blocked by the user"})"),
                       cfg);
  EXPECT_FALSE(r.retryable);
  EXPECT_TRUE(telegram_outcome(answer(502, "bad gateway"), cfg).retryable);
  http_outcome tls;
  tls.error = "bad url 'https://x/bot123:secret/sendMessage'";
  tls.permanent = true;
  r = telegram_outcome(tls, cfg);
  EXPECT_FALSE(r.retryable);
  EXPECT_EQ(r.message.find("123:secret"), std::string::npos) << r.message;
}

TEST(Sms, ChecksE164) {
  EXPECT_TRUE(is_e164("+4915112345678"));
  EXPECT_TRUE(is_e164("+12"));
  EXPECT_FALSE(is_e164("4915112345678"));
  EXPECT_FALSE(is_e164("+0123"));
  EXPECT_FALSE(is_e164("+49 151 1234"));
  EXPECT_FALSE(is_e164("+1234567890123456")); // 16 digits
  EXPECT_TRUE(check_sms_params(obj(R"({"to":"+12"})")));
  EXPECT_FALSE(check_sms_params(obj(R"({"to":"+12","text":"x"})")));
}

TEST(Sms, RendersTheBodyTemplateWithEscaping) {
  auto params = obj(R"({"to":"+4915112345678","text":"a \"b\" & c"})");
  auto call = sms_call(obj(R"({"url":"http://gw/send",
                              "headers":{"Authorization":"Key k"}})"),
                       params);
  ASSERT_TRUE(call);
  EXPECT_EQ(json::parse(call->body),
            json::parse(R"({"to":"+4915112345678","text":"a \"b\" & c"})"));
  ASSERT_EQ(call->headers.size(), 1u);
  EXPECT_EQ(call->headers[0].second, "Key k");
  call = sms_call(obj(R"({"url":"http://gw/send","method":"GET",
                         "body_template":"to={{to}}&msg={{text}}"})"),
                  params);
  ASSERT_TRUE(call);
  EXPECT_EQ(call->method, "GET");
  EXPECT_EQ(call->url,
            "http://gw/send?to=%2B4915112345678&msg=a%20%22b%22%20%26%20c");
  EXPECT_TRUE(call->body.empty());
}

TEST(Sms, SuccessConditionIsConfigurable) {
  auto plain = obj(R"({"url":"http://gw"})");
  EXPECT_EQ(sms_outcome(answer(201, ""), plain).outcome, kind::succeeded);
  EXPECT_FALSE(sms_outcome(answer(400, "bad number"), plain).retryable);
  EXPECT_TRUE(sms_outcome(answer(503, ""), plain).retryable);
  auto field = obj(R"({"url":"http://gw","success_status":[200],
                       "success_field":"result.status",
                       "success_value":"queued"})");
  EXPECT_EQ(sms_outcome(answer(200, R"({"result":{"status":"queued"}})"), field)
              .outcome,
            kind::succeeded);
  auto r
    = sms_outcome(answer(200, R"({"result":{"status":"rejected"}})"), field);
  EXPECT_EQ(r.outcome, kind::failed);
  EXPECT_FALSE(r.retryable);
  EXPECT_EQ(sms_outcome(answer(202, R"({"result":{"status":"queued"}})"), field)
              .outcome,
            kind::failed);
}

// Found by tests/fuzz/provider_response_fuzz: a number that is not a whole
// unsigned one (1.5, -1) in config.success_status or in Telegram's
// parameters.retry_after threw from Boost.JSON's to_number, on the HTTP
// client's thread, which ended nsd.
TEST(Sms, SuccessStatusTakesOnlyWholeNumbers) {
  auto cfg = obj(R"({"url":"http://gw","success_status":[1.5,-1,200]})");
  EXPECT_EQ(sms_outcome(answer(200, ""), cfg).outcome, kind::succeeded);
  EXPECT_EQ(sms_outcome(answer(201, ""), cfg).outcome, kind::failed);
}

TEST(Telegram, IgnoresARetryAfterThatIsNoWholeNumber) {
  auto cfg = obj(R"({"bot_token":"123:secret"})");
  for (auto ra : {"-1", "1.5", "1e300"}) {
    auto r = telegram_outcome(
      answer(429,
             std::string{R"({"ok":false,"parameters":{"retry_after":)"} + ra
               + "}}"),
      cfg);
    EXPECT_TRUE(r.retryable) << ra;
    EXPECT_EQ(r.retry_after_ms, 0u) << ra;
  }
}

// Found by tests/fuzz/provider_response_fuzz: the cut at 200 bytes split a
// UTF-8 sequence, and the job's last_error went out as invalid UTF-8.
TEST(Channels, ExcerptNeverSplitsACharacter) {
  EXPECT_EQ(excerpt(std::string(199, 'a') + "\xc3\xa9 more"),
            std::string(199, 'a'));
  EXPECT_EQ(excerpt(std::string(198, 'a') + "\xc3\xa9 more"),
            std::string(198, 'a') + "\xc3\xa9");
  EXPECT_EQ(excerpt("line\r\nnext"), "line  next");
}

// hide() searched again where it had just written "***": a token that
// "***" contains (a bot_token of "*") replaced itself for ever.
TEST(Telegram, HidesATokenThatTheMaskContains) {
  auto r = telegram_outcome(answer(400, R"({"description":"a*b"})"),
                            obj(R"({"bot_token":"*"})"));
  EXPECT_EQ(r.message, "telegram 400: a***b");
}

TEST(Mattermost, BuildsAndMaps) {
  auto call = mattermost_call(obj(R"({"url":"http://mm/hooks/x",
                                      "username":"ns"})"),
                              obj(R"({"text":"hi","channel":"ops"})"));
  ASSERT_TRUE(call);
  EXPECT_EQ(json::parse(call->body),
            json::parse(R"({"text":"hi","channel":"ops","username":"ns"})"));
  EXPECT_TRUE(check_mattermost_params(obj("{}")));
  EXPECT_FALSE(check_mattermost_params(obj(R"({"attachments":[{}]})")));
  EXPECT_EQ(mattermost_outcome(answer(200, "ok")).outcome, kind::succeeded);
  auto r = mattermost_outcome(
    answer(400,
           R"({"id":"web.incoming_webhook.text.app_error",)"
           R"("message":"No text specified","status_code":400})"));
  EXPECT_FALSE(r.retryable);
  EXPECT_EQ(r.message, "mattermost 400: No text specified");
  EXPECT_TRUE(mattermost_outcome(answer(429, "")).retryable);
}

TEST(Smtp, ChecksParams) {
  EXPECT_FALSE(
    check_smtp_params(obj(R"({"to":"a@b.c","subject":"s","text":"t"})")));
  EXPECT_FALSE(check_smtp_params(obj(
    R"({"to":["A <a@b.c>","d@e.f"],"bcc":"x@y.z","subject":"s","html":"h"})")));
  EXPECT_TRUE(check_smtp_params(obj(R"({"subject":"s","text":"t"})")));
  EXPECT_TRUE(
    check_smtp_params(obj(R"({"to":"nope","subject":"s","text":"t"})")));
  EXPECT_TRUE(check_smtp_params(obj(R"({"to":"a@b.c","subject":"s"})")));
  EXPECT_TRUE(check_smtp_params(
    obj(R"({"to":"a@b.c","subject":"s\r\nBcc: x@y.z","text":"t"})")));
}

TEST(Smtp, EnvelopeHoldsEveryRecipientButHeadersNotBcc) {
  job_record job;
  job.id = "n1-abc";
  auto call = smtp_message(
    obj(R"({"host":"mx","from":"Ops <ops@example.com>","tls":"none"})"),
    obj(R"({"to":"a@b.c","cc":["C <c@d.e>"],"bcc":"x@y.z","subject":"s",
            "text":"t"})"),
    job);
  ASSERT_TRUE(call);
  EXPECT_EQ(call->port, 25);
  EXPECT_EQ(call->mail_from, "ops@example.com");
  EXPECT_EQ(call->rcpt_to,
            (std::vector<std::string>{"a@b.c", "c@d.e", "x@y.z"}));
  EXPECT_EQ(call->message.find("x@y.z"), std::string::npos);
  EXPECT_NE(call->message.find("Message-ID: <n1-abc@example.com>"),
            std::string::npos);
}

TEST(Smtp, MapsReplies) {
  smtp_outcome ok;
  ok.delivered = true;
  EXPECT_EQ(smtp_result(ok).outcome, kind::succeeded);
  smtp_outcome busy;
  busy.code = 451;
  busy.message = "4.3.0 try later";
  auto r = smtp_result(busy);
  EXPECT_TRUE(r.retryable);
  EXPECT_EQ(r.message, "SMTP 451: 4.3.0 try later");
  smtp_outcome rejected;
  rejected.code = 550;
  rejected.message = "5.1.1 no such user";
  r = smtp_result(rejected);
  EXPECT_FALSE(r.retryable);
  EXPECT_EQ(r.message, "SMTP 550: 5.1.1 no such user");
  smtp_outcome cert;
  cert.permanent = true;
  cert.message = "tls: certificate verify failed";
  EXPECT_FALSE(smtp_result(cert).retryable);
  smtp_outcome refused;
  refused.not_sent = true;
  refused.message = "connect: refused";
  r = smtp_result(refused);
  EXPECT_EQ(r.outcome, kind::not_sent);
  EXPECT_TRUE(r.retryable);
}
