// Message templates (actors/templates.cpp): the admin API's check of a
// template, its rendering with a job's data (plain and HTML-escaped), and
// render_params as a telegram delivery in HTML mode runs it. Input, as text:
//   line 1: the job's `data`, JSON (not JSON: {"x": the line as a string})
//   rest:   the Mustache template
// Checks beyond "no crash": a template the admin API accepts renders (else
// every job using it would fail); rendering valid UTF-8 gives valid UTF-8;
// with HTML escaping, no '<' comes out that the template did not write.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/json/parse.hpp>

#include "actors/templates.hpp"
#include "config/error.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace {

namespace json = boost::json;
namespace fuzz = ns::fuzz;

json::value read_data(std::string_view line) {
  json::error_code ec;
  auto v = json::parse(line, ec);
  if (ec)
    return json::object{{"x", line}};
  return v;
}

/// Whether the template itself can write '<' (literally, or unescaped).
bool may_write_lt(std::string_view text) {
  return text.find('<') != std::string_view::npos
    || text.find('&') != std::string_view::npos
    || text.find("{{{") != std::string_view::npos;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto in = fuzz::as_text(data, size);
  auto values = read_data(fuzz::next_line(in));
  auto text = std::string{in};
  auto accepted = !ns::check_template_parts(json::object{{"text", text}});

  std::vector<std::string> missing;
  auto plain = ns::render_mustache(text, values, false, &missing);
  if (accepted && !plain)
    fuzz::fail("an accepted template must render",
               ns::message_of(plain.error()));
  auto utf8_in
    = fuzz::valid_utf8(text) && fuzz::valid_json(json::serialize(values));
  if (plain && utf8_in)
    fuzz::check(fuzz::valid_utf8(*plain), "rendering broke UTF-8", *plain);

  auto html = ns::render_mustache(text, values, true);
  if (html && !may_write_lt(text))
    fuzz::check(html->find('<') == std::string::npos,
                "an HTML-escaped value let '<' through", *html);

  if (!accepted || !values.is_object())
    return 0;
  ns::adapter_record adapter;
  adapter.name = "tg";
  adapter.type = ns::adapter_type::telegram;
  adapter.config = json::object{{"parse_mode", "HTML"}};
  auto rec = std::make_shared<ns::template_record>();
  rec->adapter = "tg";
  rec->name = "t";
  rec->parts = json::object{{"text", text}};
  rec->strict = !missing.empty();
  ns::template_set set;
  set.by_name["t"][1] = rec;
  auto out = ns::render_params(
    adapter, &set, json::object{{"template", "t"}, {"data", values}});
  // Strict with names missing must refuse; otherwise it renders.
  fuzz::check(static_cast<bool>(out) == missing.empty(),
              "strict rendering disagrees with the missing names", text);
  return 0;
}
