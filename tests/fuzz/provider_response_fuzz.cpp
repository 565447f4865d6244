// The answers of the outside services, as the built-in channels read them
// (actors/*_channel.cpp): webhook's classify, telegram_outcome, sms_outcome,
// mattermost_outcome, with Retry-After. Input, as text:
//   line 1: CHANNEL STATUS    e.g. "telegram 429" (status 0: no HTTP answer)
//   line 2: the Retry-After header (may be empty)
//   line 3: the adapter's config, a JSON object (not one: {})
//   rest:   the answer's body (for status 0: the transport error)
// Checks beyond "no crash": the result message (it becomes the job's
// last_error, served as JSON) is valid UTF-8 when the answer was; a wait is at
// most a day; 2xx succeeds where the channel says it does; Telegram's bot
// token never appears in a message.

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/parse.hpp>

#include "actors/channels.hpp"
#include "actors/mattermost_channel.hpp"
#include "actors/sms_channel.hpp"
#include "actors/telegram_channel.hpp"
#include "actors/webhook_channel.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace {

namespace json = boost::json;
namespace fuzz = ns::fuzz;
using kind = ns::attempt_result::kind;

unsigned read_status(std::string_view text) {
  unsigned n = 0;
  for (char c : text.substr(0, 3))
    if (c >= '0' && c <= '9')
      n = n * 10 + static_cast<unsigned>(c - '0');
  return n;
}

json::object read_config(std::string_view line) {
  json::error_code ec;
  auto v = json::parse(line, ec);
  return !ec && v.is_object() ? v.get_object() : json::object{};
}

bool is_2xx(unsigned status) {
  return status >= 200 && status < 300;
}

void check_token_hidden(const ns::attempt_result& res, unsigned status,
                        const json::object& config) {
  auto* t = config.if_contains("bot_token");
  if (t == nullptr || !t->is_string() || t->get_string().empty()
      || res.outcome == kind::succeeded)
    return;
  std::string_view token = t->get_string();
  std::string_view shown = res.message;
  if (status != 0) // "telegram 429: " is ours, the rest comes from outside
    shown.remove_prefix(std::min(shown.size(), shown.find(": ") + 2));
  fuzz::check(shown.find(token) == std::string_view::npos,
              "the bot token shows in a message", res.message);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto in = fuzz::as_text(data, size);
  auto first = fuzz::next_line(in);
  auto sp = first.find(' ');
  auto channel = first.substr(0, sp);
  ns::http_outcome out;
  out.status
    = sp == std::string_view::npos ? 0 : read_status(first.substr(sp + 1));
  out.retry_after = std::string{fuzz::next_line(in)};
  auto config_line = fuzz::next_line(in);
  auto config = read_config(config_line);
  if (out.status == 0) {
    out.error = std::string{in};
    out.not_sent = !in.empty() && in.front() == 'n';
    out.permanent = !in.empty() && in.front() == 'p';
  } else {
    out.body = std::string{in};
  }

  ns::attempt_result res;
  bool two_xx_succeeds = true;
  if (channel == "webhook")
    res = ns::classify(out);
  else if (channel == "telegram")
    res = ns::telegram_outcome(out, config), two_xx_succeeds = false;
  else if (channel == "sms")
    res = ns::sms_outcome(out, config), two_xx_succeeds = false;
  else if (channel == "mattermost")
    res = ns::mattermost_outcome(out);
  else
    return 0;

  fuzz::check(res.retry_after_ms <= 24ull * 3600 * 1000,
              "a wait of more than a day", out.retry_after);
  if (two_xx_succeeds && is_2xx(out.status))
    fuzz::check(res.outcome == kind::succeeded, "2xx must succeed");
  if (res.outcome == kind::succeeded)
    fuzz::check(out.status != 0, "no answer cannot succeed");
  if (fuzz::valid_utf8(in) && fuzz::valid_utf8(config_line))
    fuzz::check(fuzz::valid_utf8(res.message), "the result message broke UTF-8",
                res.message);
  if (channel == "telegram")
    check_token_hidden(res, out.status, config);
  return 0;
}
