// ssh-keys:add, ssh-keys:list, ssh-keys:remove (spec §11). Keys live in the store; every change
// rewrites $DOKKU_ROOT/.ssh/authorized_keys from it inside the store's transaction, atomically
// (temp file in the same directory, fsync, rename), so a failed write changes nothing.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/command_util.h"
#include "store/ssh_keys.h"
#include "store/unique_fd.h"

namespace dokku {
namespace {

constexpr size_t kMaxKeyInput = 64 * 1024;

Status Errno(const std::string& what) {
  return Status::Internal(fmt::format("{}: {}", what, std::strerror(errno)));
}

// Writes `content` to `path` via `path`.tmp: written, fsynced, owned like `owner_of`, renamed.
Status WriteFileAtomic(const std::string& path, const std::string& content,
                       const std::string& owner_of) {
  const std::string tmp = path + ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) return Errno("Unable to write " + tmp);
  struct stat st {};
  bool ok =
      ::write(fd.get(), content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
      ::stat(owner_of.c_str(), &st) == 0 && ::fchown(fd.get(), st.st_uid, st.st_gid) == 0 &&
      ::fsync(fd.get()) == 0;
  if (ok) ok = ::rename(tmp.c_str(), path.c_str()) == 0;
  if (!ok) {
    Status s = Errno("Unable to write " + path);
    ::unlink(tmp.c_str());
    return s;
  }
  return Status::Ok();
}

// The forced command's target: `$DOKKU_ROOT/.sshcommand` (written by scripts/install) when it
// exists, else /usr/bin/dokku with the default state dir.
StatusOr<SshCommandTarget> CommandTarget(const std::string& dokku_root) {
  std::ifstream in(dokku_root + "/.sshcommand", std::ios::binary);
  if (!in) return SshCommandTarget{};
  std::string text(4096, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  return ParseSshCommandFile(text);
}

Store::PublishSshKeys PublishTo(const std::string& dokku_root) {
  return [dokku_root](const std::vector<SshKey>& keys) -> Status {
    StatusOr<SshCommandTarget> target = CommandTarget(dokku_root);
    if (!target.ok()) return target.status();
    const std::string dir = dokku_root + "/.ssh";
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return Errno("Unable to create " + dir);
    return WriteFileAtomic(dir + "/authorized_keys", AuthorizedKeysContent(keys, *target),
                           dokku_root);
  };
}

// The key text: from `file`, or from stdin for "-" or no file (not a terminal).
StatusOr<std::string> ReadKeyInput(Context& ctx, const std::string& file) {
  std::string text;
  if (file.empty() || file == "-") {
    if (ctx.in_fd() >= 0 && ::isatty(ctx.in_fd())) {
      return Status::InvalidArgument("No key specified via file or pipe");
    }
    text.resize(kMaxKeyInput + 1);
    ctx.in().read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(ctx.in().gcount()));
  } else {
    std::ifstream in(file, std::ios::binary);
    if (!in) return Status::InvalidArgument("Key file " + file + " could not be read");
    text.resize(kMaxKeyInput + 1);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(in.gcount()));
  }
  if (text.size() > kMaxKeyInput) return Status::InvalidArgument("Key is too long");
  if (text.ends_with("\n")) text.pop_back();
  if (text.ends_with("\r")) text.pop_back();
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Status::InvalidArgument("Empty key was specified");
  }
  if (text.find('\n') != std::string::npos) {
    return Status::InvalidArgument(
        "Too many keys provided, set one per invocation of dokku ssh-keys:add <NAME> <KEY_FILE>");
  }
  return text;
}

int SshKeysAddCmd(Context& ctx, const Args& args) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {}, 2, &p, &rc)) return rc;
  if (int code = ctx.RequireRoot()) return code;
  const std::string name = Arg(p, 0);
  if (name.empty())
    return ctx.Fail("A name for the key is required, ie: dokku ssh-keys:add <name>");
  if (Status s = ValidateSshKeyName(name); !s.ok()) return ctx.FailStatus(s);
  StatusOr<std::string> text = ReadKeyInput(ctx, Arg(p, 1));
  if (!text.ok()) return ctx.FailStatus(text.status());
  StatusOr<SshPublicKey> key = ParseSshPublicKey(*text);
  if (!key.ok()) {
    ctx.Warn(key.status().message());
    return ctx.Fail("Key specified in is not a valid ssh public key");
  }
  if (!ctx.OpenStore()) return kExitError;
  Status added =
      ctx.store().AddSshKey({name, key->fingerprint, key->Line()}, PublishTo(ctx.DokkuRoot()));
  if (!added.ok()) return ctx.FailStatus(added);
  ctx.Raw(key->fingerprint);
  return kExitOk;
}

void PrintKeys(Context& ctx, const std::vector<SshKey>& keys, bool json) {
  nlohmann::json list = nlohmann::json::array();
  for (const SshKey& k : keys) {
    if (!json) {
      ctx.Raw(
          fmt::format(R"({} NAME="{}" SSHCOMMAND_ALLOWED_KEYS="restrict")", k.fingerprint, k.name));
    }
    list.push_back({{"fingerprint", k.fingerprint},
                    {"name", k.name},
                    {"SSHCOMMAND_ALLOWED_KEYS", "restrict"},
                    {"public-key", k.public_key}});
  }
  if (json) ctx.Raw(list.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

int SshKeysListCmd(Context& ctx, const Args& args) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {{"format", true}}, 1, &p, &rc)) return rc;
  const std::string format = p.Value("format", "text"), name = Arg(p, 0);
  if (format != "text" && format != "json") {
    return ctx.Fail("Invalid output format specified, supported formats: json, text");
  }
  if (!ctx.OpenStore()) return kExitError;
  StatusOr<std::vector<SshKey>> keys = ctx.store().ListSshKeys();
  if (!keys.ok()) return ctx.FailStatus(keys.status());
  if (keys->empty()) return ctx.Fail("authorized_keys is empty for dokku");
  if (!name.empty()) std::erase_if(*keys, [&](const SshKey& k) { return k.name != name; });
  PrintKeys(ctx, *keys, format == "json");
  return keys->empty() && format == "text" ? kExitError : kExitOk;
}

int SshKeysRemoveCmd(Context& ctx, const Args& args) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {{"fingerprint", true}}, 1, &p, &rc)) return rc;
  if (int code = ctx.RequireRoot()) return code;
  const bool by_fingerprint = p.values.contains("fingerprint");
  const std::string value = by_fingerprint ? p.Value("fingerprint") : Arg(p, 0);
  if (value.empty()) {
    return ctx.Fail(by_fingerprint ? "A fingerprint is required to remove a key, ie: dokku "
                                     "ssh-keys:remove --fingerprint FINGERPRINT"
                                   : "A name is required to remove a key, ie: dokku "
                                     "ssh-keys:remove <name>");
  }
  if (!ctx.OpenStore()) return kExitError;
  StatusOr<std::vector<SshKey>> keys = ctx.store().ListSshKeys();
  if (!keys.ok()) return ctx.FailStatus(keys.status());
  if (keys->empty()) return ctx.Fail("No public keys found.");
  StatusOr<int> removed =
      ctx.store().RemoveSshKey(value, by_fingerprint, PublishTo(ctx.DokkuRoot()));
  return removed.ok() ? kExitOk : ctx.FailStatus(removed.status());
}

const Command kSshKeysCommands[] = {
    {"ssh-keys:add", "ssh-keys:add <name> [/path/to/key|-]", "Add a new public key by pipe or path",
     SshKeysAddCmd},
    {"ssh-keys:list", "ssh-keys:list [--format text|json] [<name>]",
     "List of all authorized dokku public ssh keys", SshKeysListCmd},
    {"ssh-keys:remove", "ssh-keys:remove [--fingerprint fingerprint|<name>]",
     "Remove SSH public key by name", SshKeysRemoveCmd},
};

}  // namespace

std::span<const Command> SshKeysCommands() { return kSshKeysCommands; }

}  // namespace dokku
