// SSH public keys as `ssh-keys:*` and sshd see them: parsing an OpenSSH public key line, its
// SHA256 fingerprint, key names, and the authorized_keys lines dokku writes. Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store/status.h"

namespace dokku {

// The 32-byte SHA-256 digest of `data` (FIPS 180-4).
std::string Sha256(std::string_view data);

struct SshPublicKey {
  std::string type;         // "ssh-ed25519"
  std::string blob;         // the key's base64, as given
  std::string comment;      // may be empty
  std::string fingerprint;  // "SHA256:" + unpadded base64 of sha256(decoded blob)
  // "<type> <blob>[ <comment>]": the key as written into authorized_keys.
  std::string Line() const;
};

// One `<type> <base64> [comment]` line (no options, no newline; surrounding blanks ignored).
// The type must be a known OpenSSH key type and the blob must decode and start with that same
// type. InvalidArgument otherwise, naming what is wrong.
StatusOr<SshPublicKey> ParseSshPublicKey(std::string_view line);

// Names are 1..64 characters of [A-Za-z0-9._@-], not starting with '-' (they are written into
// the forced command between double quotes, so nothing a shell interprets is allowed).
Status ValidateSshKeyName(std::string_view name);

struct SshKey {
  std::string name;
  std::string fingerprint;
  std::string public_key;  // SshPublicKey::Line()
};

// Where a key's forced command runs: the dokku CLI and, when set, the state dir it is given.
struct SshCommandTarget {
  std::string dokku_bin = "/usr/bin/dokku";
  std::string lib_root;  // empty: the CLI's default
};
// `$DOKKU_ROOT/.sshcommand` as scripts/install writes it: `DOKKU_BIN=<path>` and
// `DOKKU_LIB_ROOT=<dir>` lines (either may be missing; blank lines and `#` comments allowed).
// Both must be absolute paths of [A-Za-z0-9/._+-], since they go into the forced command.
StatusOr<SshCommandTarget> ParseSshCommandFile(std::string_view text);

// `command="NAME=\"<name>\" FINGERPRINT=\"<fp>\" [DOKKU_LIB_ROOT=\"<dir>\"] <bin> --ssh",restrict
// <key>`.
std::string AuthorizedKeysLine(const SshKey& key, const SshCommandTarget& target);
// Every key's line, each ending in "\n" (empty for no keys).
std::string AuthorizedKeysContent(const std::vector<SshKey>& keys, const SshCommandTarget& target);

}  // namespace dokku
