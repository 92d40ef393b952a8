// Ports: Dokku's scheme:host-port:container-port parsing and messages, the detected mapping of a
// release, the web container port, the ports:* commands, and what a port change does to web.
#include "store/ports.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/cli_harness.h"
#include "tests/testing/testutil.h"

namespace dokku {
namespace {

using testing::CliHarness;
using testing::CliResult;
using ::testing::HasSubstr;

TEST(PortsParseTest, TokensAndDokkusErrors) {
  const struct {
    std::string token;
    std::string out;  // ToString(), or the error message
  } cases[] = {
      {"http:80:5000", "http:80:5000"},
      {"https:443:8443", "https:443:8443"},
      {"udp:53:53", "udp:53:53"},
      {"grpc:50051:50051", "grpc:50051:50051"},
      {"8080", "__internal__:8080:0"},
      {"http:80", "Invalid port map http:80 [len=2]"},
      {"http", "Invalid port map http [len=1]"},
      {"http:x:5000",
       "Invalid port map http:x:5000 [err=strconv.Atoi: parsing \"x\": invalid syntax]"},
      {"http:80:", "Invalid port map http:80: [err=strconv.Atoi: parsing \"\": invalid syntax]"},
      {"http:0:5000", "Invalid port map http:0:5000 [hostPort=0]"},
      {"http:65536:5000", "Invalid port map http:65536:5000 [hostPort=65536]"},
      {"http:80:-1", "Invalid port map http:80:-1 [containerPort=-1]"},
      {"http:80:70000", "Invalid port map http:80:70000 [containerPort=70000]"},
      {"http:80:5000:1",
       "Invalid port map http:80:5000:1 [err=strconv.Atoi: parsing \"5000:1\": invalid syntax]"},
      {"ht;tp:80:5000", "Invalid port map ht;tp:80:5000 [scheme]"},
      {":80:5000", "Invalid port map :80:5000 [scheme]"},
      {"0", "Invalid port map 0 [hostPort=0]"},
  };
  for (const auto& c : cases) {
    StatusOr<PortMap> m = ParsePortMap(c.token);
    EXPECT_EQ(m.ok() ? m->ToString() : m.status().message(), c.out) << c.token;
  }
}

TEST(PortsParseTest, DetectionAndWebPort) {
  const struct {
    std::optional<std::string> exposed;
    std::string detected;
    int web;
  } cases[] = {
      {std::nullopt, "http:80:5000", 5000},
      {"", "http:80:5000", 5000},
      {"8080/tcp", "http:8080:8080", 8080},
      {"3000/tcp 3003/tcp 3001/udp", "http:3000:3000 http:3003:3003 udp:3001:3001", 3000},
      {"443/tcp", "https:443:443", 443},
      {"53/udp", "udp:53:53", 5000},
      {"bogus 99999/tcp 1/sctp", "http:80:5000", 5000},
  };
  for (const auto& c : cases) {
    const std::vector<PortMap> maps = DetectedPortMaps(c.exposed);
    EXPECT_EQ(JoinPortMaps(maps), c.detected) << c.exposed.value_or("nullopt");
    EXPECT_EQ(WebContainerPort(maps), c.web) << c.exposed.value_or("nullopt");
  }
  EXPECT_EQ(PortMapsJson({{"http", 80, 5000}}),
            "[{\"container_port\":5000,\"host_port\":80,\"scheme\":\"http\"}]");
  EXPECT_EQ(PortMapsJson({}), "null");
  // The first mapping in string order that is not udp.
  EXPECT_EQ(WebContainerPort({{"udp", 1, 1}, {"https", 443, 8443}, {"http", 80, 3000}}), 3000);
}

class PortsCliTest : public ::testing::Test {
 protected:
  void SetUp() override { h_.DeployApp("app", {CliHarness::Container("app", "web", 1, "c1")}); }
  CliHarness h_;
};

TEST_F(PortsCliTest, SetAddRemoveClearAndList) {
  CliResult none = h_.Run({"ports:list", "app"});
  EXPECT_EQ(none.rc, 1);
  EXPECT_THAT(none.err, HasSubstr("No port mappings configured for app"));
  ASSERT_EQ(h_.Run({"ports:set", "app", "http:80:8080", "https:443:8080"}).rc, 0);
  ASSERT_EQ(h_.Run({"ports:add", "app", "http:8000:3000 udp:53:53"}).rc, 0);
  CliResult list = h_.Run({"ports:list", "app"});
  EXPECT_EQ(list.out,
            "-----> Port mappings for app\n"
            "    -----> scheme  host port  container port\n"
            "    http           8000       3000\n"  // sorted as strings, as Dokku does
            "    http           80         8080\n"
            "    https          443        8080\n"
            "    udp            53         53\n")
      << list.Describe();
  ASSERT_EQ(h_.Run({"ports:remove", "app", "8000", "udp:53:53"}).rc, 0);
  EXPECT_EQ(h_.Run({"ports:report", "app", "--ports-map"}).out, "http:80:8080 https:443:8080\n");
  EXPECT_EQ(h_.Run({"ports:report", "app", "--ports-map-detected"}).out, "http:80:5000\n");
  ASSERT_EQ(h_.Run({"ports:clear", "app"}).rc, 0);
  EXPECT_EQ(h_.Run({"ports:report", "app", "--ports-map-json"}).out, "null\n");
  // Dokku's ports plugin has no global properties: the global report is only its header.
  CliResult global = h_.Run({"ports:report", "--global"});
  EXPECT_EQ(global.rc, 0) << global.Describe();
  EXPECT_EQ(global.err, "");
}

TEST_F(PortsCliTest, BadInputIsRefusedAndChangesNothing) {
  ASSERT_EQ(h_.Run({"ports:set", "app", "http:80:8080"}).rc, 0);
  const struct {
    std::vector<std::string> args;
    std::string err;
  } cases[] = {
      {{"ports:set", "app", "http:80"}, "Invalid port map http:80 [len=2]"},
      {{"ports:set", "app", "http:80:5000", "http:80:6000"},
       "Error validating port mappings: The same scheme:host-port is being reused: http:80"},
      {{"ports:add", "app", "http:80:9000"},
       "Error validating all port mappings: The same scheme:host-port is being reused: http:80"},
      {{"ports:add", "app", "http:81:1", "http:81:2"},
       "Error validating new port mappings: The same scheme:host-port is being reused: http:81"},
      {{"ports:add", "app"}, "No port mapping specified"},
      {{"ports:set", "app", "http:99999:1"}, "[hostPort=99999]"},
      {{"ports:set", "app", "http:80:x"}, "invalid syntax"},
      {{"ports:remove", "app", "http:80"}, "[len=2]"},
      {{"ports:set", "nosuch", "http:80:5000"}, "App nosuch does not exist"},
  };
  for (const auto& c : cases) {
    const std::string before = h_.Dump();
    CliResult r = h_.Run(c.args);
    EXPECT_NE(r.rc, 0) << r.Describe();
    EXPECT_THAT(r.err, HasSubstr(c.err)) << r.Describe();
    EXPECT_EQ(h_.Dump(), before) << c.err;
  }
  // Removing what is not there writes nothing either.
  const std::string before = h_.Dump();
  EXPECT_EQ(h_.Run({"ports:remove", "app", "http:1:1"}).rc, 0);
  EXPECT_EQ(h_.Dump(), before);
}

}  // namespace
}  // namespace dokku
