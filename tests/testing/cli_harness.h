// CliHarness: runs `dokku` commands in-process (RunCli) against a temp state dir with a
// FakeClock, and plays dokkud through a second Store connection: heartbeats, events, observed
// state. Polls between CLI reads call OnSleep hooks instead of sleeping.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "store/clock.h"
#include "store/store.h"
#include "tests/testing/testutil.h"

namespace dokku::testing {

struct CliResult {
  int rc = -1;
  std::string out;
  std::string err;
  std::string Describe() const {
    return "rc=" + std::to_string(rc) + "\nout:\n" + out + "err:\n" + err;
  }
};

class CliHarness {
 public:
  CliHarness();
  ~CliHarness();

  CliResult Run(const std::vector<std::string>& args, const std::string& stdin_data = "",
                const std::map<std::string, std::string>& extra_env = {});

  const std::string& state_dir() const { return dir_.path(); }
  FakeClock& clock() { return clock_; }
  // The daemon side's connection (opened on first use).
  Store& daemon();
  // Called after every 50 ms poll pause (the clock has already advanced).
  void OnSleep(std::function<void()> fn) { on_sleep_ = std::move(fn); }
  int sleeps() const { return sleeps_; }
  // The effective uid commands see (root-only commands check it); 0 unless set.
  void SetEffectiveUid(unsigned uid) { uid_ = uid; }

  void Beat();  // a fresh heartbeat
  // Fake dokkud pass for `app`: heartbeat, the given events, then observed = generation with
  // `error` ("" = success).
  void ApplyAll(const std::string& app,
                const std::vector<std::pair<std::string, std::string>>& events,
                const std::string& error = "");

  // An app created through the CLI with a live release (tag `tag`, image sha256:<hex>) and the
  // given containers, fully observed. Returns the release.
  Release DeployApp(const std::string& app, const std::vector<ObservedContainer>& containers,
                    const std::string& tag = "v1");
  static ObservedContainer Container(const std::string& app, const std::string& proctype, int index,
                                     const std::string& id, const std::string& state = "running",
                                     const std::string& role = "live");

  // Every table's rows, for "nothing changed" assertions.
  std::string Dump();

 private:
  testutil::TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<Store> daemon_;
  std::function<void()> on_sleep_;
  int sleeps_ = 0;
  unsigned uid_ = 0;
};

}  // namespace dokku::testing
