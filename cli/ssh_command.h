// The forced-command side of `ssh dokku@host <command>`: SSH_ORIGINAL_COMMAND into argv, the
// way Dokku's dispatcher splits it (`xargs -n 1`: blanks separate words, '...' and "..." quote
// literally, a backslash outside quotes escapes the next character). Pure.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "store/status.h"

namespace dokku {

inline constexpr size_t kMaxSshCommandBytes = 1 << 20;

// InvalidArgument for a command over kMaxSshCommandBytes, with a NUL byte or invalid UTF-8, an
// unmatched quote, a trailing backslash, or an unquoted shell metacharacter (; & | < > $ ` ( )
// { } * ? [ ], or # and ~ starting a word) that Dokku's shell would have interpreted. Blank
// input gives no words (the caller prints help).
StatusOr<std::vector<std::string>> ParseSshCommand(std::string_view command);

}  // namespace dokku
