#include "cli/control_client.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>
#include <optional>

#include "controller/control/protocol.h"

namespace dokku {
namespace {

using control::FrameKind;

// Puts a terminal in raw mode for the life of the object (keys go to the container as typed).
class RawTerminal {
 public:
  explicit RawTerminal(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) != 0) return;
    termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(fd_, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(fd_, TCSANOW, &saved_);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

StatusOr<int> Connect(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path)
    return Status::InvalidArgument("state dir path too long");
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Unavailable(strerror(errno));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
  const int err = errno;
  ::close(fd);
  if (err == EACCES || err == EPERM)
    return Status::FailedPrecondition("Permission denied: " + path +
                                      " (root and the dokku group only)");
  return Status::Unavailable("dokkud is not running (no control socket at " + path + ")");
}

// Sends what the test harness gave as stdin, then its end (no descriptor to poll).
Status SendStream(int fd, std::istream& in) {
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!data.empty()) DOKKU_RETURN_IF_ERROR(control::WriteData(fd, FrameKind::kStdin, data));
  return control::WriteFrame(fd, FrameKind::kStdinClosed, "");
}

// One frame from dokkud: printed, or the exit code.
std::optional<int> Deliver(Context& ctx, const control::Frame& frame, std::string* capture) {
  if (frame.kind == FrameKind::kStdout && capture != nullptr) {
    capture->append(frame.payload);
  } else if (frame.kind == FrameKind::kStdout) {
    ctx.out() << frame.payload;
    ctx.out().flush();
  } else if (frame.kind == FrameKind::kStderr) {
    ctx.err() << frame.payload;
    ctx.err().flush();
  } else if (frame.kind == FrameKind::kExit) {
    return std::atoi(frame.payload.c_str());
  }
  return std::nullopt;
}

int Pump(Context& ctx, int fd, bool stdin_fd_open, std::string* capture) {
  control::FrameDecoder decoder;
  char buf[32768];
  while (true) {
    pollfd fds[2] = {{fd, POLLIN, 0}, {stdin_fd_open ? ctx.in_fd() : -1, POLLIN, 0}};
    int ready = ::poll(fds, 2, -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return ctx.Fail(std::string("poll: ") + strerror(errno));
    if (fds[1].revents != 0) {
      ssize_t n = ::read(ctx.in_fd(), buf, sizeof buf);
      if (n > 0) {
        (void)control::WriteFrame(fd, FrameKind::kStdin,
                                  std::string_view(buf, static_cast<size_t>(n)));
      } else if (n == 0 || errno != EINTR) {
        stdin_fd_open = false;
        (void)control::WriteFrame(fd, FrameKind::kStdinClosed, "");
      }
    }
    if (fds[0].revents == 0) continue;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || !decoder.Feed(std::string_view(buf, static_cast<size_t>(n))))
      return ctx.Fail("dokkud closed the connection");
    control::Frame frame;
    while (decoder.Next(&frame)) {
      if (std::optional<int> code = Deliver(ctx, frame, capture)) return *code;
    }
  }
}

}  // namespace

bool StdinIsTerminal(Context& ctx) {
  if (ctx.Getenv("DOKKU_FORCE_TTY") == "true") return true;
  if (ctx.Getenv("DOKKU_DISABLE_TTY") == "true") return false;
  return ctx.in_fd() >= 0 && ::isatty(ctx.in_fd()) == 1;
}

void TerminalSize(int* rows, int* cols) {
  winsize ws{};
  *rows = *cols = 0;
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 || ::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) {
    *rows = ws.ws_row;
    *cols = ws.ws_col;
  }
}

int CallDaemon(Context& ctx, const nlohmann::json& request, const ControlCallOptions& options) {
  ::signal(SIGPIPE, SIG_IGN);  // a daemon gone mid-call is reported, not a silent death
  StatusOr<int> fd = Connect(control::SocketPath(ctx.StateDir()));
  if (!fd.ok()) return ctx.Fail(fd.status().message());
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{*fd};
  if (!control::WriteFrame(*fd, FrameKind::kRequest, request.dump()).ok())
    return ctx.Fail("dokkud closed the connection");
  const bool from_fd = options.attach_stdin && ctx.in_fd() >= 0;
  if (options.attach_stdin && !from_fd && !SendStream(*fd, ctx.in()).ok())
    return ctx.Fail("dokkud closed the connection");
  if (!options.attach_stdin) (void)control::WriteFrame(*fd, FrameKind::kStdinClosed, "");
  std::optional<RawTerminal> raw;
  if (options.tty && from_fd && ::isatty(ctx.in_fd()) == 1) raw.emplace(ctx.in_fd());
  return Pump(ctx, *fd, from_fd, options.capture_stdout);
}

}  // namespace dokku
