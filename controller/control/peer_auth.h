// Who may use the control socket: root, and members of the control group (normally `dokku`).
// The peer is identified by the kernel (SO_PEERCRED), never by anything the client sends.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "store/status.h"

namespace dokku::control {

struct Peer {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

// The connected peer of a unix socket.
StatusOr<Peer> PeerOf(int fd);

// The gid of `group`, or nullopt when there is no such group (then only root is allowed).
std::optional<gid_t> LookupGroup(const std::string& group);

// The groups a uid belongs to (its primary group and supplementary ones), from the user
// database; empty when the uid has no entry.
std::vector<gid_t> GroupsOfUid(uid_t uid);

// Pure: root, or a peer whose primary or listed groups include `allowed`.
bool PeerAllowed(const Peer& peer, std::optional<gid_t> allowed, const std::vector<gid_t>& groups);

}  // namespace dokku::control
