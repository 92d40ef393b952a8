#include "cli/context.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <istream>
#include <ostream>
#include <thread>

#include "cli/commands.h"

namespace dokku {

std::string Context::StateDir() const {
  std::string dir = Getenv("DOKKU_LIB_ROOT");
  return dir.empty() ? "/var/lib/dokku" : dir;
}

bool Context::OpenStore() {
  if (store_) return true;
  const std::string dir = StateDir();
  StatusOr<std::unique_ptr<Store>> opened = Store::OpenStateDir(dir, env_.clock);
  if (!opened.ok()) {
    Warn(opened.status().message());
    return false;
  }
  store_ = std::move(opened).value();
  if (std::string name = Getenv("SSH_NAME"); !name.empty())
    store_->SetActor(fmt::format("ssh key {}", name));
  return true;
}

void Context::Line(std::ostream& os, std::string_view prefix, std::string_view text) {
  os << prefix << text << '\n';
}

void Context::Info1(std::string_view text) { Line(out(), "-----> ", text); }
void Context::Info2(std::string_view text) { Line(out(), "=====> ", text); }
void Context::Verbose(std::string_view text) { Line(out(), "       ", text); }
void Context::Raw(std::string_view text) { Line(out(), "", text); }

void Context::Info1Quiet(std::string_view text) {
  if (!quiet) Info1(text);
}
void Context::Info2Quiet(std::string_view text) {
  if (!quiet) Info2(text);
}
void Context::VerboseQuiet(std::string_view text) {
  if (!quiet) Verbose(text);
}

void Context::Warn(std::string_view text) {
  // Keep stdout and stderr in order on a terminal.
  out().flush();
  Line(err(), " !     ", text);
  err().flush();
}

// An error echoes user input: keep it one readable line of bounded length, whatever the input.
static std::string OneLine(std::string_view text) {
  constexpr size_t kMax = 900;
  std::string out;
  for (unsigned char c : text) {
    if (out.size() >= kMax) {
      out += "...";
      break;
    }
    if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

int Context::RequireRoot() {
  const unsigned uid = env_.effective_uid ? env_.effective_uid() : ::geteuid();
  return uid == 0 ? kExitOk : Fail("This command must be run as root");
}

int Context::Fail(std::string_view text, int code) {
  Warn(OneLine(text));
  return code;
}

int Context::FailStatus(const Status& status) {
  return Fail(status.message(), IsMissingApp(status) ? kExitNoApp : kExitError);
}

int Context::UsageError(std::string_view text) {
  Warn(OneLine(text));
  if (command) err() << "Usage: dokku " << command->usage << '\n';
  return kExitUsage;
}

std::string Context::Getenv(const std::string& name, const std::string& fallback) const {
  auto it = env_.vars.find(name);
  return it == env_.vars.end() || it->second.empty() ? fallback : it->second;
}

void Context::SleepMs(int64_t ms) {
  out().flush();
  if (env_.sleep_ms) {
    env_.sleep_ms(ms);
  } else {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }
}

bool IsMissingApp(const Status& status) {
  const std::string& m = status.message();
  static constexpr std::string_view kSuffix = " does not exist";
  return status.IsNotFound() && m.rfind("App ", 0) == 0 && m.size() >= kSuffix.size() &&
         m.compare(m.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0;
}

int VerifyApp(Context& ctx, const std::string& app) {
  if (app.empty()) return ctx.Fail("Please specify an app to run the command on");
  if (!ctx.OpenStore()) return kExitError;
  Status st = ctx.store().RequireApp(app);
  return st.ok() ? kExitOk : ctx.FailStatus(st);
}

}  // namespace dokku
