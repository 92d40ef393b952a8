// registry:login's credentials, kept by dokkud in <state>/registry/credentials.json: root's,
// mode 0600 in a 0700 directory, so members of the control group (who share the store) cannot
// read them. Never logged. Keyed by scope (an app, or "--global") and server.
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "store/status.h"

namespace dokku {

struct RegistryCredential {
  std::string username;
  std::string password;
};

class RegistryCredentials {
 public:
  explicit RegistryCredentials(std::string state_dir);

  // The app's login for `server`, else the global one; nullopt when there is neither.
  StatusOr<std::optional<RegistryCredential>> Lookup(const std::string& app,
                                                     const std::string& server) const;
  // Replaces the file atomically (written beside it, then renamed).
  Status Save(const std::string& scope, const std::string& server, const RegistryCredential& c);
  // False when nothing was stored for the scope and server.
  StatusOr<bool> Remove(const std::string& scope, const std::string& server);

  const std::string& path() const { return path_; }

 private:
  std::string dir_, path_;
  static std::mutex mu_;  // one writer at a time across every instance (control sessions)
};

// Docker's auth object for `server`: username, password and serveraddress; "{}" for none.
std::string RegistryAuthJson(const std::optional<RegistryCredential>& c, const std::string& server);

}  // namespace dokku
