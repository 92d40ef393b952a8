// Command-line flag parsing in the style of Go's pflag, which Dokku's Go plugins use:
// --name, --name=value, --name value; "--" ends the flags; flags may come anywhere.
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/status.h"

namespace dokku {

struct FlagSpec {
  std::string_view name;  // without "--"
  bool takes_value = false;
};

struct ParsedFlags {
  std::vector<std::string> positional;
  std::map<std::string, std::string, std::less<>> values;  // bool flags hold "true"/"false"

  bool Has(std::string_view name) const;  // given (a bool flag: given and not =false)
  std::string Value(std::string_view name, const std::string& fallback = "") const;
};

// InvalidArgument("unknown flag: --x") / ("flag needs an argument: --x") on bad flags.
StatusOr<ParsedFlags> ParseFlags(const std::vector<std::string>& args,
                                 std::initializer_list<FlagSpec> specs);

// The same over a list built at run time.
StatusOr<ParsedFlags> ParseFlagList(const std::vector<std::string>& args,
                                    const std::vector<FlagSpec>& specs);

// "--x" or "-x" (but not "-", "--" or a negative number).
bool LooksLikeFlag(std::string_view arg);

// ParseInt (store/parse_int.h) of at most 19 characters: a decimal integer with optional leading
// '-', nothing else; nullopt otherwise or on overflow.
std::optional<long long> ParseInteger(std::string_view text);

}  // namespace dokku
