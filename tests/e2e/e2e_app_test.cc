// End to end, issue "run a real app": an app on 8080 with a config var, a host file and a
// memory limit, all set the Dokku way; config:set rolls it out under fresh and keep-alive load
// without a failed request, and config vars reach the containers byte for byte. Real dokku,
// dokkud, dockerd and nginx.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>

#include "tests/testing/e2e_fixture.h"
#include "tests/testing/keepalive_client.h"
#include "tests/testing/traffic_loop.h"

namespace dokku::e2e {
namespace {

using testutil::CommandResult;
using testutil::WaitFor;

// Like most published images: listens on 8080 whatever PORT says (and EXPOSEs nothing), and
// answers / with "<GREETING> <first line of /data/secret.txt>"; its CHECKS want "hello".
const std::map<std::string, std::string> kGreeter = {
    {"CHECKS", "WAIT=1\nATTEMPTS=5\n/ hello\n"},
    {"start.sh",
     "#!/bin/sh\nmkdir -p /tmp/www\n"
     "printf '%s %s\\n' \"$GREETING\" \"$(head -n1 /data/secret.txt)\" > /tmp/www/index.html\n"
     "exec httpd -f -p 8080 -h /tmp/www\n"},
};

class E2EAppTest : public E2ETest {
 protected:
  bool Serves(const PrivateNginx& nginx, const std::string& host, const std::string& body) {
    return WaitFor([&] { return testutil::HttpGet(nginx.address(), "/", host) == body; }, 10000);
  }
  // What the running web.1 container sees in $key, read by a shell inside it.
  std::string EnvInContainer(const std::string& app, const std::string& key) {
    std::optional<DockerContainer> c = FindContainer(app, app + ".web.1");
    if (!c) return "<no web.1>";
    CommandResult r = testutil::RunDocker(
        {"exec", c->id, "/bin/sh", "-c", fmt::format("printf '%s' \"${}\"", key)});
    return r.exit_code == 0 ? r.out : "<exec failed: " + r.err + ">";
  }
};

// The app: it needs a config var, listens on 8080, reads a file from the host and is
// memory-limited. Each of those is set the Dokku way and the app serves through nginx.
TEST_F(E2EAppTest, ARealAppConfiguredLikeDokkuServesAndRollsOutUnderLoad) {
  PrivateNginx nginx;
  ASSERT_OK(nginx.Start());
  const std::string app = CreateApp("cfg");
  BuildImage(app, "v1", kGreeter, {"/app/start.sh"});
  ASSERT_FALSE(HasFailure());
  testutil::TempDir data;  // removed by its destructor
  {
    std::ofstream f(data.path() + "/secret.txt");
    f << "from-disk\n";
  }
  ASSERT_NO_FATAL_FAILURE(StartDaemon(nginx.DaemonFlags()));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"domains:set-global", "e2e.test"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"checks:set", app, "wait-to-retire", "2"}));
  const std::string host = app + ".e2e.test";

  // Before the first deploy there is nothing to restart.
  CommandResult set;
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"config:set", app, "GREETING=hello one"}, &set));
  EXPECT_FALSE(Contains(set.out, "Restarting app")) << set.out;
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ports:set", app, "http:80:8080"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"storage:mount", app, data.path() + ":/data"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"resource:limit", "--memory", "64m", app}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"tags:deploy", app, "v1"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:scale", app, "web=2"}));
  ASSERT_TRUE(Serves(nginx, host, "hello one from-disk\n"));
  std::optional<DockerContainer> web = FindContainer(app, app + ".web.1");
  ASSERT_TRUE(web.has_value());
  const nlohmann::json info = InspectContainer(web->id);
  EXPECT_EQ(info["HostConfig"]["Memory"], 67108864) << info["HostConfig"].dump();
  // A redeploy keeps the mount and the file.
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"tags:deploy", app, "v1"}));
  EXPECT_TRUE(Serves(nginx, host, "hello one from-disk\n"));

  testutil::TrafficOptions options;
  options.threads = 10;
  options.good_bodies = {"hello one from-disk\n", "hello two from-disk\n"};
  testutil::TrafficLoop traffic(nginx.address(), host, options);
  testutil::KeepAliveLoop keepalive(nginx.address(), host, 10, options.good_bodies);
  traffic.Start();
  keepalive.Start();
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"config:set", app, "GREETING=hello two"}, &set));
  EXPECT_TRUE(Contains(set.out, fmt::format("-----> Restarting app {}", app))) << set.out;
  EXPECT_TRUE(Serves(nginx, host, "hello two from-disk\n"));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"config:set", app, "GREETING=hello one"}));
  EXPECT_TRUE(Serves(nginx, host, "hello one from-disk\n"));
  traffic.Stop();
  keepalive.Stop();
  std::cout << fmt::format("MEASURE config_set traffic={} keepalive={} failed={}+{}\n",
                           traffic.total(), keepalive.total(), traffic.failed(),
                           keepalive.failed());
  EXPECT_GT(traffic.total(), 100);
  EXPECT_EQ(traffic.failed(), 0) << traffic.Problems();
  EXPECT_EQ(traffic.bad_content(), 0) << traffic.Problems();
  EXPECT_GT(keepalive.reused(), 100);
  EXPECT_EQ(keepalive.failed(), 0) << keepalive.Problems();
  EXPECT_EQ(keepalive.bad_content(), 0) << keepalive.Problems();

  // Any byte string a shell can pass arrives exactly, through --no-restart plus ps:restart too.
  const std::string hostile =
      "line1\nline2\r\n 'single' \"double\" $HOME ${PATH} `id` \\ ! {{.Node.Hostname}} "
      "h\xc3\xa9llo \xf0\x9f\x98\x80 a=b=c " +
      std::string(64 * 1024, 'x');
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"config:set", "--no-restart", app, "HOSTILE=" + hostile}));
  EXPECT_EQ(EnvInContainer(app, "HOSTILE"), "");  // recorded only
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:restart", app}));
  EXPECT_EQ(EnvInContainer(app, "HOSTILE"), hostile);
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"config:set", "--global", "FROM_GLOBAL=g", "GREETING=global"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:restart", app}));
  EXPECT_EQ(EnvInContainer(app, "FROM_GLOBAL"), "g");
  EXPECT_EQ(EnvInContainer(app, "GREETING"), "hello one");  // the app's var wins
  CommandResult get = Dokku({"config:get", app, "HOSTILE"});
  EXPECT_EQ(get.out, hostile + "\n");
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"config:unset", "--global", "FROM_GLOBAL", "GREETING"}));
  // Values never reach dokkud's log.
  EXPECT_FALSE(Contains(daemon().Log(), "hello two"));
  EXPECT_FALSE(Contains(daemon().Log(), "line2"));
  ASSERT_NO_FATAL_FAILURE(DestroyApp(app));
}

}  // namespace
}  // namespace dokku::e2e
