// SSH_ORIGINAL_COMMAND word splitting (cli/ssh_command.h).
#include "cli/ssh_command.h"

#include <fmt/format.h>

#include "store/text.h"

namespace dokku {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n'; }

Status CheckBytes(std::string_view command) {
  if (command.size() > kMaxSshCommandBytes) {
    return Status::InvalidArgument(fmt::format("Command is too long: {} bytes, the limit is {}",
                                               command.size(), kMaxSshCommandBytes));
  }
  for (size_t i = 0; i < command.size();) {
    if (command[i] == '\0') return Status::InvalidArgument("Command contains a NUL byte");
    const size_t len = Utf8SequenceLength(command, i);
    if (len == 0) return Status::InvalidArgument("Command is not valid UTF-8");
    i += len;
  }
  return Status::Ok();
}

Status Metacharacter(char c) {
  return Status::InvalidArgument(fmt::format(
      "Shell metacharacter `{}` is not allowed outside quotes in a command over ssh", c));
}

}  // namespace

StatusOr<std::vector<std::string>> ParseSshCommand(std::string_view command) {
  DOKKU_RETURN_IF_ERROR(CheckBytes(command));
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < command.size(); ++i) {
    const char c = command[i];
    if (IsBlank(c)) {
      if (in_word) words.push_back(std::move(word)), word.clear(), in_word = false;
      continue;
    }
    if (c == '\'' || c == '"') {
      const size_t end = command.find(c, i + 1);
      if (end == std::string_view::npos) {
        return Status::InvalidArgument(
            fmt::format("Unmatched {} quote in command", c == '"' ? "double" : "single"));
      }
      word.append(command.substr(i + 1, end - i - 1));
      in_word = true;
      i = end;
      continue;
    }
    if (c == '\\') {
      if (i + 1 == command.size()) return Status::InvalidArgument("Command ends with a backslash");
      word += command[++i];
      in_word = true;
      continue;
    }
    if (std::string_view(";&|<>$`(){}*?[]").find(c) != std::string_view::npos) {
      return Metacharacter(c);
    }
    if (!in_word && (c == '#' || c == '~')) return Metacharacter(c);
    word += c;
    in_word = true;
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

}  // namespace dokku
