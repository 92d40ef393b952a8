#include "cli/flags.h"

#include "store/parse_int.h"

namespace dokku {

bool ParsedFlags::Has(std::string_view name) const {
  auto it = values.find(name);
  return it != values.end() && it->second != "false";
}

std::string ParsedFlags::Value(std::string_view name, const std::string& fallback) const {
  auto it = values.find(name);
  return it == values.end() ? fallback : it->second;
}

bool LooksLikeFlag(std::string_view arg) {
  if (arg.size() < 2 || arg[0] != '-') return false;
  if (arg == "--") return false;
  return !(arg[1] >= '0' && arg[1] <= '9');
}

std::optional<long long> ParseInteger(std::string_view text) {
  if (text.size() > 19) return std::nullopt;
  return ParseInt(text);
}

StatusOr<ParsedFlags> ParseFlags(const std::vector<std::string>& args,
                                 std::initializer_list<FlagSpec> specs) {
  return ParseFlagList(args, std::vector<FlagSpec>(specs));
}

StatusOr<ParsedFlags> ParseFlagList(const std::vector<std::string>& args,
                                    const std::vector<FlagSpec>& specs) {
  ParsedFlags parsed;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      parsed.positional.insert(parsed.positional.end(), args.begin() + i + 1, args.end());
      break;
    }
    if (!LooksLikeFlag(arg)) {
      parsed.positional.push_back(arg);
      continue;
    }
    std::string_view body = std::string_view(arg).substr(arg[1] == '-' ? 2 : 1);
    std::optional<std::string> inline_value;
    if (size_t eq = body.find('='); eq != std::string_view::npos) {
      inline_value = std::string(body.substr(eq + 1));
      body = body.substr(0, eq);
    }
    const FlagSpec* spec = nullptr;
    for (const FlagSpec& s : specs) {
      if (s.name == body) spec = &s;
    }
    // Single-dash long names are not flags in pflag; report them as written.
    if (!spec || arg[1] != '-') {
      return Status::InvalidArgument("unknown flag: " + arg.substr(0, arg.find('=')));
    }
    std::string name(spec->name);
    if (parsed.values.count(name)) {
      return Status::InvalidArgument("flag given more than once: --" + name);
    }
    if (!spec->takes_value) {
      if (inline_value && *inline_value != "true" && *inline_value != "false") {
        return Status::InvalidArgument("invalid argument \"" + *inline_value + "\" for --" + name);
      }
      parsed.values[name] = inline_value.value_or("true");
    } else if (inline_value) {
      parsed.values[name] = *inline_value;
    } else if (i + 1 < args.size()) {
      parsed.values[name] = args[++i];
    } else {
      return Status::InvalidArgument("flag needs an argument: --" + name);
    }
  }
  return parsed;
}

}  // namespace dokku
