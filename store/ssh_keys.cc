// OpenSSH public key lines, fingerprints and authorized_keys lines (store/ssh_keys.h).
#include "store/ssh_keys.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "store/text.h"

namespace dokku {
namespace {

constexpr size_t kMaxKeyLine = 16384;  // RSA 16384-bit keys are ~2.8 KB of base64

const std::string_view kKeyTypes[] = {"ssh-ed25519",
                                      "ssh-rsa",
                                      "ssh-dss",
                                      "ecdsa-sha2-nistp256",
                                      "ecdsa-sha2-nistp384",
                                      "ecdsa-sha2-nistp521",
                                      "sk-ssh-ed25519@openssh.com",
                                      "sk-ecdsa-sha2-nistp256@openssh.com"};

Status Invalid(std::string_view why) {
  return Status::InvalidArgument(fmt::format("Invalid ssh public key: {}", why));
}

// Splits off the next blank-separated field of `rest`.
std::string_view NextField(std::string_view& rest) {
  const size_t b = rest.find_first_not_of(" \t");
  if (b == std::string_view::npos) return rest = {}, std::string_view{};
  rest.remove_prefix(b);
  const size_t e = std::min(rest.find_first_of(" \t"), rest.size());
  std::string_view field = rest.substr(0, e);
  rest.remove_prefix(e);
  return field;
}

// The blob's leading string (uint32 big-endian length, then bytes): the key type.
std::string EmbeddedType(const std::string& blob) {
  if (blob.size() < 4) return "";
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<unsigned char>(blob[i]);
  if (n > blob.size() - 4) return "";
  return blob.substr(4, n);
}

Status CheckComment(std::string_view comment) {
  for (size_t i = 0; i < comment.size();) {
    const size_t len = Utf8SequenceLength(comment, i);
    const unsigned char c = static_cast<unsigned char>(comment[i]);
    if (len == 0 || (len == 1 && (c < 0x20 || c == 0x7f))) {
      return Invalid("the comment must be printable UTF-8");
    }
    i += len;
  }
  return Status::Ok();
}

}  // namespace

std::string SshPublicKey::Line() const {
  return comment.empty() ? type + " " + blob : type + " " + blob + " " + comment;
}

StatusOr<SshPublicKey> ParseSshPublicKey(std::string_view line) {
  if (line.size() > kMaxKeyLine) return Invalid("the key is too long");
  std::string_view rest = line;
  SshPublicKey key;
  key.type = std::string(NextField(rest));
  if (std::find(std::begin(kKeyTypes), std::end(kKeyTypes), key.type) == std::end(kKeyTypes)) {
    return Invalid(key.type.empty() ? "no key type" : "unknown key type");
  }
  key.blob = std::string(NextField(rest));
  size_t bad = 0;
  std::optional<std::string> decoded = key.blob.find_first_of("\r\n") == std::string::npos
                                           ? DecodeBase64(key.blob, &bad)
                                           : std::nullopt;
  if (!decoded || decoded->empty()) return Invalid("the key data is not base64");
  if (EmbeddedType(*decoded) != key.type) return Invalid("the key data is not a " + key.type);
  const size_t b = rest.find_first_not_of(" \t");
  const size_t e = rest.find_last_not_of(" \t");
  if (b != std::string_view::npos) key.comment = std::string(rest.substr(b, e - b + 1));
  if (Status s = CheckComment(key.comment); !s.ok()) return s;
  key.fingerprint = "SHA256:";
  key.fingerprint += EncodeBase64(Sha256(*decoded), false);
  return key;
}

Status ValidateSshKeyName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64 && name.front() != '-';
  for (char c : name) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '@' ||
                c == '-');
  }
  if (ok) return Status::Ok();
  return Status::InvalidArgument(
      "Invalid ssh key name, use 1 to 64 characters of [A-Za-z0-9._@-], not starting with '-'");
}

namespace {

bool IsSafePath(std::string_view path) {
  if (path.empty() || path.front() != '/' || path.find("..") != std::string_view::npos)
    return false;
  return std::all_of(path.begin(), path.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '.' || c == '_' ||
           c == '+' || c == '-';
  });
}

}  // namespace

StatusOr<SshCommandTarget> ParseSshCommandFile(std::string_view text) {
  SshCommandTarget target;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    size_t eq = line.find('=');
    std::string_view key = line.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? "" : line.substr(eq + 1);
    if (key != "DOKKU_BIN" && key != "DOKKU_LIB_ROOT") {
      return Status::InvalidArgument(fmt::format(".sshcommand: unknown line '{}'", line));
    }
    if (!IsSafePath(value)) {
      return Status::InvalidArgument(fmt::format(
          ".sshcommand: {} must be an absolute path of [A-Za-z0-9/._+-], not '{}'", key, value));
    }
    (key == "DOKKU_BIN" ? target.dokku_bin : target.lib_root) = std::string(value);
  }
  return target;
}

std::string AuthorizedKeysLine(const SshKey& key, const SshCommandTarget& target) {
  const std::string lib_root =
      target.lib_root.empty() ? "" : fmt::format(R"(DOKKU_LIB_ROOT=\"{}\" )", target.lib_root);
  return fmt::format(R"(command="NAME=\"{}\" FINGERPRINT=\"{}\" {}{} --ssh",restrict {})", key.name,
                     key.fingerprint, lib_root, target.dokku_bin, key.public_key);
}

std::string AuthorizedKeysContent(const std::vector<SshKey>& keys, const SshCommandTarget& target) {
  std::string out;
  for (const SshKey& k : keys) {
    out += AuthorizedKeysLine(k, target);
    out += '\n';
  }
  return out;
}

}  // namespace dokku
