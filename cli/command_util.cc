#include "cli/command_util.h"

namespace dokku {

bool ParseCommandArgs(Context& ctx, const Args& args, std::initializer_list<FlagSpec> specs,
                      size_t max_positional, ParsedFlags* parsed, int* rc) {
  StatusOr<ParsedFlags> p = ParseFlags(args, specs);
  if (!p.ok()) {
    *rc = ctx.UsageError(p.status().message());
    return false;
  }
  if (p->positional.size() > max_positional) {
    *rc = ctx.UsageError("too many arguments");
    return false;
  }
  *parsed = std::move(p).value();
  return true;
}

std::string Arg(const ParsedFlags& parsed, size_t i) {
  return i < parsed.positional.size() ? parsed.positional[i] : std::string();
}

}  // namespace dokku
