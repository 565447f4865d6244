// The settings parser (config/options.cpp) on text it is given twice over:
//   - as a config file (what --config=FILE reads), then validate();
//   - line by line as the command line (`--section.key=value`, `--help`)
//     and the environment (lines `NS_SECTION_KEY=value`), through load().
// --config and NS_CONFIG lines are dropped: load() would read a file.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/options.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace fuzz = ns::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto text = fuzz::as_text(data, size);
  ns::config::options opts;
  if (!ns::config::apply_config_text(opts, text, "fuzz.conf"))
    ns::config::validate(opts);
  std::vector<std::string> args;
  std::vector<std::string> env;
  for (auto in = text; !in.empty();) {
    auto line = std::string{fuzz::next_line(in)};
    if (line.rfind("--config", 0) == 0 || line.rfind("NS_CONFIG", 0) == 0)
      continue;
    (line.rfind("NS_", 0) == 0 ? env : args).push_back(std::move(line));
  }
  auto res = ns::config::load(args, env);
  // What load() accepted, validate() accepts again: nsd validates once.
  if (res && res->act == ns::config::action::run)
    fuzz::check(!ns::config::validate(res->opts),
                "loaded settings must stay valid", res->opts.http.listen);
  return 0;
}
