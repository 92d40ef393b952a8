// One dokkud per state directory: an advisory flock(2) on <state-dir>/dokkud.lock, held for the
// life of the process and released by the kernel when it exits or is killed, so a SIGKILLed
// daemon never blocks its successor. The holder's pid is written into the file for the error.
#pragma once

#include <string>

#include "store/status.h"

namespace dokku {

class StateDirLock {
 public:
  StateDirLock() = default;
  StateDirLock(const StateDirLock&) = delete;
  StateDirLock& operator=(const StateDirLock&) = delete;
  ~StateDirLock();

  // Takes the lock without waiting. Conflict naming the holder's pid when another
  // process holds it; Internal when the file cannot be opened or written.
  Status Acquire(const std::string& state_dir);
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace dokku
