// Small helpers shared by the command implementations.
#pragma once

#include <initializer_list>
#include <string>

#include "cli/commands.h"
#include "cli/flags.h"

namespace dokku {

// Parses `args`; on an unknown flag or more than `max_positional` arguments prints a usage
// error and returns false with the exit code (2) in *rc.
bool ParseCommandArgs(Context& ctx, const Args& args, std::initializer_list<FlagSpec> specs,
                      size_t max_positional, ParsedFlags* parsed, int* rc);

// The i-th positional argument, or "".
std::string Arg(const ParsedFlags& parsed, size_t i);

}  // namespace dokku
