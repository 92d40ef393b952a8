// HostileInputTest: a corpus of hostile values (path traversal, shell metacharacters, control
// characters, invalid UTF-8, Unicode look-alikes, 128 KB values, options where an operand goes,
// 10 MB of arguments or stdin) goes through the real `dokku` binary into every slot that takes
// an app, a process type, a count, a tag, a domain or a property key or value. Each must be
// refused with exit status 1..127 and one short, clean error line, and must not write to the
// database: no other connection may see a commit (PRAGMA data_version, checked after every
// case) and `sqlite3 <db> .dump` stays byte-identical (checked after every command group).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <set>
#include <string>
#include <vector>

#include "store/store.h"
#include "tests/testing/testutil.h"

namespace dokku {
namespace {

using testutil::CommandResult;

// Marks the text after a line break in a hostile value: it must never start an output line.
constexpr char kInjected[] = "INJECTED";
// The longest single argument Linux passes to a program (MAX_ARG_STRLEN - 1). All arguments
// together are capped at 6 MB (3/4 of the kernel's _STK_LIM), so 10 MB can only come on stdin.
constexpr size_t kMaxArg = 128 * 1024 - 1;
// A clear error echoes a value, it does not replay it.
constexpr size_t kMaxErrorBytes = 1024;

struct Case {
  std::vector<std::string> args;
  std::string stdin_data;
};

// Printable, bounded form of a case for failure messages.
std::string Label(const Case& c) {
  std::string out = "dokku";
  for (size_t i = 0; i < c.args.size(); ++i) {
    const std::string& a = c.args[i];
    if (i == 5) {
      out += fmt::format(" ...({} more arguments)", c.args.size() - i);
      break;
    }
    std::string shown;
    for (unsigned char ch : a.substr(0, 48)) {
      shown += (ch < 0x20 || ch >= 0x7f) ? fmt::format("\\x{:02x}", ch) : std::string(1, ch);
    }
    if (a.size() > 48) shown += fmt::format("...({} bytes)", a.size());
    out += " [" + shown + "]";
  }
  if (!c.stdin_data.empty()) out += fmt::format(" <stdin {} bytes>", c.stdin_data.size());
  return out;
}

// Values no slot accepts. The empty string and option-like values are added per slot: "" is a
// valid value for some (it unsets a property, or means "all").
std::vector<std::string> HostileValues() {
  return {
      // Paths.
      "../../etc",
      "../../etc/passwd",
      "/etc/passwd",
      "..",
      ".",
      "a/../b",
      "~root",
      // Shell.
      ";rm -rf /",
      "x;rm -rf /",
      "$(id)",
      "`id`",
      "x|id",
      "x&&id",
      "x>/tmp/f",
      "${IFS}id",
      "x'y",
      "x\"y",
      "x\\y",
      "*",
      // Control characters (NUL cannot pass through argv).
      std::string("x\n") + kInjected,
      std::string("x\r") + kInjected,
      "\x01",
      "x\x1b[31m",
      "\x7f",
      "x\ty",
      // Invalid UTF-8: a lone byte, a truncated sequence, an overlong '/', a surrogate.
      "\xff\xfe",
      "caf\xc3",
      "\xc0\xaf",
      "\xed\xa0\x80x",
      // Unicode look-alikes of "good" and "web": Cyrillic o, zero-width space, fullwidth w,
      // one dot leader, combining solidus.
      "g\xd0\xbeod",
      "good\xe2\x80\x8b",
      "\xef\xbd\x97"
      "eb",
      "good\xe2\x80\xa4x",
      "web\xcc\xb8",
      // Sizes: over every length limit, up to the largest argument Linux allows.
      std::string(256, 'a'),
      std::string(4096, 'a'),
      std::string(kMaxArg - 8, 'a'),
  };
}

// Options where an operand belongs, minus the flags the command really has.
std::vector<std::string> OptionValues(const std::set<std::string>& accepted) {
  std::vector<std::string> out;
  for (const char* o : {"--global", "--all", "--force", "--detach", "--no-such-flag", "-x"}) {
    if (!accepted.count(o)) out.push_back(o);
  }
  return out;
}

// `dokku <prefix> VALUE <suffix>` for every hostile value and option-like value.
enum class Empty { kRefused, kValid };

void AddSlot(std::vector<Case>& cases, const std::vector<std::string>& prefix,
             const std::vector<std::string>& suffix, const std::set<std::string>& accepted_flags,
             Empty empty, const std::string& wrap_before = "", const std::string& wrap_after = "") {
  std::vector<std::string> values = HostileValues();
  for (std::string& o : OptionValues(accepted_flags)) values.push_back(std::move(o));
  if (empty == Empty::kRefused) values.push_back("");
  for (const std::string& v : values) {
    Case c;
    c.args = prefix;
    c.args.push_back(wrap_before + v + wrap_after);
    c.args.insert(c.args.end(), suffix.begin(), suffix.end());
    cases.push_back(std::move(c));
  }
}

std::vector<Case> AllCases() {
  std::vector<Case> cases;
  const std::set<std::string> none;
  const std::set<std::string> lifecycle = {"--all"};
  const std::set<std::string> global = {"--global"};
  // App slot.
  AddSlot(cases, {"apps:create"}, {}, none, Empty::kRefused);
  AddSlot(cases, {"apps:destroy"}, {"--force"}, {"--force"}, Empty::kRefused);
  AddSlot(cases, {"apps:exists"}, {}, none, Empty::kRefused);
  AddSlot(cases, {"ps"}, {}, none, Empty::kRefused);
  AddSlot(cases, {"ps:scale"}, {"web=1"}, none, Empty::kRefused);
  AddSlot(cases, {"ps:set"}, {"restart-policy", "always"}, global, Empty::kRefused);
  AddSlot(cases, {"ps:restart"}, {}, lifecycle, Empty::kRefused);
  AddSlot(cases, {"ps:start"}, {}, lifecycle, Empty::kRefused);
  AddSlot(cases, {"ps:stop"}, {}, lifecycle, Empty::kRefused);
  AddSlot(cases, {"ps:rebuild"}, {}, lifecycle, Empty::kRefused);
  AddSlot(cases, {"ps:report"}, {}, global, Empty::kValid);
  AddSlot(cases, {"tags"}, {}, none, Empty::kRefused);
  AddSlot(cases, {"tags:create"}, {"v2"}, none, Empty::kRefused);
  AddSlot(cases, {"tags:deploy"}, {"v1"}, none, Empty::kRefused);
  AddSlot(cases, {"tags:destroy"}, {"v1"}, none, Empty::kRefused);
  AddSlot(cases, {"releases"}, {}, none, Empty::kRefused);
  AddSlot(cases, {"releases:rollback"}, {}, none, Empty::kRefused);
  AddSlot(cases, {"checks:disable"}, {}, none, Empty::kRefused);
  AddSlot(cases, {"checks:enable"}, {}, none, Empty::kRefused);
  AddSlot(cases, {"checks:skip"}, {}, none, Empty::kRefused);
  AddSlot(cases, {"checks:set"}, {"wait-to-retire", "5"}, global, Empty::kRefused);
  AddSlot(cases, {"checks:run"}, {}, none, Empty::kRefused);
  AddSlot(cases, {"checks:report"}, {}, global, Empty::kValid);
  // Process type slot.
  AddSlot(cases, {"ps:scale", "good"}, {}, none, Empty::kRefused, "", "=1");
  AddSlot(cases, {"ps:restart", "good"}, {}, none, Empty::kValid);
  AddSlot(cases, {"checks:disable", "good"}, {}, none, Empty::kValid);
  AddSlot(cases, {"checks:skip", "good"}, {}, none, Empty::kValid);
  AddSlot(cases, {"checks:run", "good"}, {}, none, Empty::kValid);
  // Count slot.
  AddSlot(cases, {"ps:scale", "good"}, {}, none, Empty::kRefused, "web=");
  AddSlot(cases, {"ps:restart", "--parallel"}, {"--all"}, none, Empty::kRefused);
  AddSlot(cases, {"releases:rollback", "good"}, {}, none, Empty::kValid);
  AddSlot(cases, {"ps:set", "good", "stop-timeout-seconds"}, {}, none, Empty::kValid);
  AddSlot(cases, {"checks:set", "good", "wait-to-retire"}, {}, none, Empty::kValid);
  // Tag slot.
  AddSlot(cases, {"tags:create", "good"}, {}, none, Empty::kRefused);
  AddSlot(cases, {"tags:deploy", "good"}, {}, none, Empty::kRefused);
  AddSlot(cases, {"tags:destroy", "good"}, {}, none, Empty::kRefused);
  // Domain slot.
  AddSlot(cases, {"domains:set-global"}, {}, none, Empty::kRefused);
  // Property keys and values.
  AddSlot(cases, {"ps:set", "good"}, {"x"}, none, Empty::kRefused);
  AddSlot(cases, {"ps:set", "--global"}, {"x"}, none, Empty::kRefused);
  AddSlot(cases, {"checks:set", "good"}, {"1"}, none, Empty::kRefused);
  AddSlot(cases, {"ps:set", "good", "restart-policy"}, {}, none, Empty::kValid);
  AddSlot(cases, {"ps:set", "good", "procfile-path"}, {}, none, Empty::kValid);
  AddSlot(cases, {"ps:set", "good", "restore"}, {}, none, Empty::kValid);
  AddSlot(cases, {"checks:set", "--global", "default-wait"}, {}, none, Empty::kValid);
  // Output formats.
  AddSlot(cases, {"ps", "good", "--format"}, {}, none, Empty::kRefused);
  AddSlot(cases, {"releases", "good", "--format"}, {}, none, Empty::kRefused);
  // The confirmation prompt of apps:destroy reads stdin.
  for (const std::string& answer :
       {std::string(10 * 1024 * 1024, 'g'), std::string("g\xd0\xbeod\n"), std::string("good\x01\n"),
        std::string("goo\nd\n"), std::string("\xff\n")}) {
    cases.push_back({{"apps:destroy", "good"}, answer});
  }
  return cases;
}

// 5 MB of arguments, 40 of 128 KB (the caller raises RLIMIT_STACK so that execve takes them).
std::vector<Case> HugeArgumentCases() {
  const std::vector<std::string> many(40, std::string(kMaxArg, 'w'));
  std::vector<Case> cases;
  for (const std::vector<std::string>& prefix :
       std::vector<std::vector<std::string>>{{"apps:create"},
                                             {"ps:scale", "good"},
                                             {"ps:set", "good", "restart-policy"},
                                             {"tags:deploy", "good"},
                                             {"domains:set-global"},
                                             {"checks:disable", "good"}}) {
    Case c{prefix, ""};
    c.args.insert(c.args.end(), many.begin(), many.end());
    cases.push_back(std::move(c));
  }
  return cases;
}

// Raises the soft stack limit while alive: execve accepts arguments up to a quarter of it.
class ScopedStackLimit {
 public:
  explicit ScopedStackLimit(rlim_t bytes) {
    getrlimit(RLIMIT_STACK, &saved_);
    rlimit raised = saved_;
    raised.rlim_cur = saved_.rlim_max == RLIM_INFINITY ? bytes : std::min(bytes, saved_.rlim_max);
    ok_ = setrlimit(RLIMIT_STACK, &raised) == 0;
  }
  ~ScopedStackLimit() { setrlimit(RLIMIT_STACK, &saved_); }
  bool ok() const { return ok_; }

 private:
  rlimit saved_{};
  bool ok_ = false;
};

class HostileInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A database with something in every table the commands touch.
    for (const std::vector<std::string>& args :
         std::vector<std::vector<std::string>>{{"apps:create", "good"},
                                               {"--detach", "ps:scale", "good", "web=2"},
                                               {"ps:set", "good", "restart-policy", "always"},
                                               {"checks:set", "good", "wait-to-retire", "7"},
                                               {"domains:set-global", "example.test"},
                                               {"--detach", "tags:deploy", "good", "v1"}}) {
      CommandResult r = testutil::RunDokku(state_.path(), args);
      ASSERT_EQ(r.exit_code, 0) << r.Describe();
    }
    // Play dokkud: the release went live with two web containers, so the lifecycle commands
    // get past "has not been deployed" to their argument checks.
    StatusOr<std::unique_ptr<Store>> opened = Store::OpenStateDir(state_.path());
    ASSERT_OK(opened);
    store_ = std::move(*opened);
    StatusOr<App> app = store_->GetApp("good");
    ASSERT_OK(app);
    ASSERT_TRUE(app->desired_release.has_value());
    StatusOr<Release> release = store_->GetRelease(*app->desired_release);
    ASSERT_OK(release);
    release->status = "live";
    release->image_id = "sha256:" + std::string(64, 'a');
    release->procfile = "web: httpd\nworker: sleep 1\n";
    release->proctypes = std::vector<std::string>{"web", "worker"};
    ASSERT_OK(store_->UpdateRelease(*release));
    ASSERT_OK(store_->SetCurrentRelease("good", release->id));
    std::vector<ObservedContainer> containers;
    for (int n = 1; n <= 2; ++n) {
      ObservedContainer c;
      c.id = std::string(63, 'c') + std::to_string(n);
      c.app = "good";
      c.name = "good.web." + std::to_string(n);
      c.proctype = "web";
      c.index = n;
      c.release_id = release->id;
      c.state = "running";
      containers.push_back(c);
    }
    ASSERT_OK(store_->ReplaceContainers("good", containers));
    ASSERT_OK(store_->SetObserved("good", app->generation, ""));
    dump_ = Dump();
    ASSERT_FALSE(dump_.empty());
    StatusOr<int64_t> version = store_->DataVersion();
    ASSERT_OK(version);
    data_version_ = *version;
  }

  std::string Dump() {
    CommandResult r = testutil::RunCommand({"sqlite3", state_.Join("dokku.db"), ".dump"});
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    return r.out;
  }

  // True while nobody committed to the database since the last call.
  bool Unwritten() {
    StatusOr<int64_t> version = store_->DataVersion();
    if (!version.ok()) return false;
    const bool same = *version == data_version_;
    data_version_ = *version;
    return same;
  }

  // Runs one case and checks everything; returns false when it failed.
  bool Check(const Case& c) {
    CommandResult r = testutil::RunDokku(state_.path(), c.args, c.stdin_data, 30);
    const std::string label = Label(c);
    bool ok = true;
    auto expect = [&](bool cond, const std::string& what) {
      if (!cond) {
        ok = false;
        ADD_FAILURE() << label << ": " << what << "\nexit " << r.exit_code << "\nstderr ("
                      << r.err.size() << " bytes): " << Printable(r.err.substr(0, 600))
                      << "\nstdout (" << r.out.size()
                      << " bytes): " << Printable(r.out.substr(0, 300));
      }
    };
    expect(!r.timed_out, "timed out");
    expect(r.exit_code >= 1 && r.exit_code <= 127, "must exit 1..127 (not 0, not a signal)");
    expect(r.err.rfind(" !     ", 0) == 0, "stderr must start with a ' !     ' error line");
    if (c.stdin_data.empty()) {
      expect(ErrorLines(r.err) == 1, "exactly one error line (plus at most a Usage line)");
    } else {
      // apps:destroy's confirmation prompt is Dokku's warning block: every line an error line.
      expect(AllErrorLines(r.err), "the confirmation refusal must be ' !     ' lines only");
    }
    expect(r.err.size() <= kMaxErrorBytes, "error longer than " + std::to_string(kMaxErrorBytes));
    expect(r.out.size() <= kMaxErrorBytes, "stdout longer than " + std::to_string(kMaxErrorBytes));
    expect(!HasControlBytes(r.out + r.err), "raw control bytes from the input in the output");
    const std::string both = "\n" + r.out + "\n" + r.err;
    expect(both.find(std::string("\n") + kInjected) == std::string::npos &&
               both.find(std::string("\r") + kInjected) == std::string::npos,
           "a line break from the input reached the output");
    for (const char* leak : {"SQLite", "sqlite", "SQL ", "SELECT ", "INSERT ", "UPDATE ",
                             "terminate called", "what():", "Assertion", "internal error",
                             "database is locked", "Sanitizer", "Segmentation"}) {
      expect(r.err.find(leak) == std::string::npos, std::string("leaks '") + leak + "'");
    }
    expect(Unwritten(), "wrote to the database");
    return ok;
  }

  // The dump is still byte-identical to the one taken in SetUp.
  void ExpectSameDump(const std::string& after) {
    const std::string now = Dump();
    EXPECT_EQ(now == dump_, true) << "sqlite3 .dump changed after " << after;
    dump_ = now;
  }

  static int ErrorLines(const std::string& err) {
    int lines = 0;
    size_t start = 0;
    while (start < err.size()) {
      size_t end = err.find('\n', start);
      if (end == std::string::npos) end = err.size();
      if (err.compare(start, 6, "Usage:") != 0) ++lines;
      start = end + 1;
    }
    return lines;
  }
  static bool AllErrorLines(const std::string& err) {
    size_t start = 0;
    while (start < err.size()) {
      if (err.compare(start, 7, " !     ") != 0) return false;
      const size_t end = err.find('\n', start);
      if (end == std::string::npos) break;
      start = end + 1;
    }
    return !err.empty();
  }
  static bool HasControlBytes(const std::string& s) {
    for (unsigned char c : s) {
      if ((c < 0x20 && c != '\n') || c == 0x7f) return true;
    }
    return false;
  }
  static std::string Printable(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
      out += (c < 0x20 && c != '\n') || c == 0x7f ? fmt::format("\\x{:02x}", c) : std::string(1, c);
    }
    return out;
  }

  testutil::TempDir state_;
  std::unique_ptr<Store> store_;
  std::string dump_;
  int64_t data_version_ = 0;
};

// Given a database with a deployed app, every hostile value in every slot is refused cleanly and
// nothing is written to the database.
TEST_F(HostileInputTest, EverySlotRefusesTheCorpus) {
  const std::vector<Case> cases = AllCases();
  int failed = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    failed += Check(cases[i]) ? 0 : 1;
    const bool group_ends = i + 1 == cases.size() || cases[i + 1].args[0] != cases[i].args[0];
    if (group_ends) ExpectSameDump(cases[i].args[0] + " cases");
  }
  std::cout << cases.size() << " hostile cases, " << failed << " failed" << std::endl;
  // The app the look-alikes imitate is untouched.
  CommandResult r = testutil::RunDokku(state_.path(), {"ps:report", "good", "--ps-restart-policy"});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out, "always\n");
}

// Given 5 MB of arguments (40 x 128 KB), every command refuses them cleanly.
TEST_F(HostileInputTest, MegabytesOfArguments) {
  ScopedStackLimit stack(64u * 1024 * 1024);
  ASSERT_TRUE(stack.ok()) << "cannot raise RLIMIT_STACK for 5 MB of arguments";
  // A refused execve would show up as a missing " !     " error line.
  for (const Case& c : HugeArgumentCases()) Check(c);
  ExpectSameDump("the huge argument lists");
}

}  // namespace
}  // namespace dokku
