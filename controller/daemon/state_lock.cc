#include "controller/daemon/state_lock.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dokku {
namespace {

// The pid the holder wrote, or "unknown" while it is between flock() and write().
std::string ReadHolder(int fd) {
  char buf[32] = {};
  ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
  std::string pid(buf, n > 0 ? static_cast<size_t>(n) : 0);
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid.empty() ? "unknown" : pid;
}

}  // namespace

StateDirLock::~StateDirLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the only descriptor releases the flock
}

Status StateDirLock::Acquire(const std::string& state_dir) {
  path_ = state_dir + "/dokkud.lock";
  // O_CLOEXEC: a child (nginx -t, a check command) must not inherit, and so keep, the lock.
  int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return Status::Internal(fmt::format("cannot open {}: {}", path_, std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    std::string holder = ReadHolder(fd);
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return Status::Conflict(
          fmt::format("another dokkud (pid {}) is running on state directory {} (lock {})", holder,
                      state_dir, path_));
    }
    return Status::Internal(fmt::format("cannot lock {}: {}", path_, std::strerror(err)));
  }
  std::string pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    int err = errno;
    ::close(fd);
    return Status::Internal(fmt::format("cannot write {}: {}", path_, std::strerror(err)));
  }
  fd_ = fd;
  return Status::Ok();
}

}  // namespace dokku
