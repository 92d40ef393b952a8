#include "controller/env/files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>

namespace dokku {
namespace {

Status Errno(std::string_view what, const std::string& path) {
  return Status::Internal(fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}

}  // namespace

StatusOr<std::optional<std::string>> ReadFileIfExists(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return Status::Internal(fmt::format("reading {}: {}", path, std::strerror(errno)));
  }
  std::string content;
  char buf[8192];
  while (true) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      close(fd);
      return Status::Internal(fmt::format("reading {}: {}", path, std::strerror(err)));
    }
    if (n == 0) break;
    content.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return std::optional<std::string>(std::move(content));
}

Status WriteFileAtomically(const std::string& path, const std::string& content, mode_t mode) {
  const std::filesystem::path target(path);
  const std::string tmp =
      (target.parent_path() / fmt::format(".{}.tmp", target.filename().string())).string();
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Errno("creating", tmp);
  size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const Status st = Errno("writing", tmp);
      close(fd);
      unlink(tmp.c_str());
      return st;
    }
    written += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    const Status st = Errno("syncing", tmp);
    unlink(tmp.c_str());
    return st;
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const Status st = Errno("renaming to", path);
    unlink(tmp.c_str());
    return st;
  }
  const int dir = open(target.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    fsync(dir);
    close(dir);
  }
  return Status::Ok();
}

}  // namespace dokku
