#include "controller/control/peer_auth.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace dokku::control {

StatusOr<Peer> PeerOf(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return Status::Unavailable(std::string("SO_PEERCRED: ") + strerror(errno));
  return Peer{cred.pid, cred.uid, cred.gid};
}

std::optional<gid_t> LookupGroup(const std::string& group) {
  for (size_t size = 16384; size <= (size_t{1} << 22); size *= 4) {
    std::vector<char> buf(size);
    ::group entry{};
    ::group* found = nullptr;
    int rc = ::getgrnam_r(group.c_str(), &entry, buf.data(), buf.size(), &found);
    if (rc == ERANGE) continue;  // a group with many members: a bigger buffer
    if (rc != 0 || found == nullptr) return std::nullopt;
    return found->gr_gid;
  }
  return std::nullopt;
}

std::vector<gid_t> GroupsOfUid(uid_t uid) {
  std::vector<char> buf(16384);
  ::passwd entry{};
  ::passwd* found = nullptr;
  if (::getpwuid_r(uid, &entry, buf.data(), buf.size(), &found) != 0 || found == nullptr) return {};
  int n = 64;
  std::vector<gid_t> groups(static_cast<size_t>(n));
  if (::getgrouplist(found->pw_name, found->pw_gid, groups.data(), &n) < 0) {
    groups.resize(static_cast<size_t>(n));
    if (::getgrouplist(found->pw_name, found->pw_gid, groups.data(), &n) < 0)
      return {found->pw_gid};
  }
  groups.resize(static_cast<size_t>(n));
  return groups;
}

bool PeerAllowed(const Peer& peer, std::optional<gid_t> allowed, const std::vector<gid_t>& groups) {
  if (peer.uid == 0) return true;
  if (!allowed) return false;
  return peer.gid == *allowed || std::find(groups.begin(), groups.end(), *allowed) != groups.end();
}

}  // namespace dokku::control
