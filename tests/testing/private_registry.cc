#include "tests/testing/private_registry.h"

#include <fmt/format.h>

#include "tests/testing/e2e_fixture.h"

namespace dokku::e2e {

namespace {
std::string Script() { return std::string(DOKKUD_SOURCE_DIR) + "/scripts/registry"; }
}  // namespace

PrivateRegistry::PrivateRegistry() : port(FreeLoopbackPort()) { Start(); }

void PrivateRegistry::Start() {
  started = testutil::RunCommand({Script(), "start", dir_.path(), std::to_string(port)});
}

void PrivateRegistry::Stop() { testutil::RunCommand({Script(), "stop", dir_.path()}); }

std::string PrivateRegistry::address() const { return fmt::format("127.0.0.1:{}", port); }

DigestCleanup::~DigestCleanup() {
  for (const std::string& ref :
       testutil::NonEmptyLines(testutil::RunDocker({"images", "--digests", "--format",
                                                    "{{.Repository}}@{{.Digest}}", repo})
                                   .out)) {
    if (ref.find("@sha256:") != std::string::npos) testutil::RunDocker({"rmi", "-f", ref});
  }
}

}  // namespace dokku::e2e
