// End to end, issue "outgrow one host": a swarm of this engine (manager) and two workers, each a
// dockerd in its own network namespace on this machine (scripts/nodes), a real registry
// (scripts/registry) the workers reach through their own loopback, nginx on the manager. An app
// of web=4 worker=2 runs one release by digest on all three nodes; a deploy, a restart and the
// drain of a worker lose no request; a stopped worker's tasks are rescheduled and the report
// follows; a rollback runs the old digest; a placement constraint moves every task off the
// manager; a push to a stopped registry changes nothing.
#include <fmt/format.h>

#include <iostream>
#include <set>

#include "tests/testing/e2e_fixture.h"
#include "tests/testing/keepalive_client.h"
#include "tests/testing/private_registry.h"
#include "tests/testing/swarm_guard.h"
#include "tests/testing/traffic_loop.h"

namespace dokku::e2e {
namespace {

using testutil::CommandResult;
using testutil::RunDocker;

class E2EMultiNodeTest : public E2ETest {
 protected:
  // The node host name of every running task of `service`.
  static std::multiset<std::string> TaskNodes(const std::string& service) {
    std::multiset<std::string> nodes;
    for (const std::string& n :
         testutil::NonEmptyLines(RunDocker({"service", "ps", "--filter", "desired-state=running",
                                            "--format", "{{.Node}} {{.CurrentState}}", service})
                                     .out)) {
      if (n.find(" Running") != std::string::npos) nodes.insert(n.substr(0, n.find(' ')));
    }
    return nodes;
  }
  static std::string ServiceImage(const std::string& service) {
    return testutil::TrimTrailing(RunDocker({"service", "inspect", "-f",
                                             "{{.Spec.TaskTemplate.ContainerSpec.Image}}", service})
                                      .out);
  }
  // The distinct tasks answering /who through nginx over `tries` fresh connections.
  std::set<std::string> Responders(const std::string& nginx, const std::string& host,
                                   int tries = 60) {
    std::set<std::string> who;
    for (int i = 0; i < tries; ++i) {
      std::string body = testutil::HttpGet(nginx, "/who", host);
      if (!body.empty()) who.insert(body);
    }
    return who;
  }
};

TEST_F(E2EMultiNodeTest, OneReleaseByDigestOnThreeNodesServesThroughEveryChange) {
  testutil::SwarmGuard swarm;
  ASSERT_OK(swarm.InitWithWorkers(2));
  PrivateRegistry registry;
  ASSERT_EQ(registry.started.exit_code, 0) << registry.started.Describe();
  ASSERT_OK(swarm.ForwardToWorkers(registry.port));
  PrivateNginx nginx;
  ASSERT_OK(nginx.Start());
  StartDaemon(nginx.DaemonFlags());
  const std::string manager =
      testutil::TrimTrailing(RunDocker({"info", "--format", "{{.Name}}"}).out);

  const std::string app = CreateApp("multi");
  const std::string repo = registry.address() + "/dokku/" + app;
  DigestCleanup digests{repo};
  // Each task answers /who with its own host name; SIGTERM leaves it 2 s to finish requests.
  constexpr char kProcfile[] =
      "web: cat /etc/hostname > /app/who; httpd -f -p $PORT -h /app & pid=$!; "
      "trap 'sleep 2; kill $pid; exit 0' TERM; wait $pid\n"
      "worker: exec sleep 86400\n";
  constexpr char kChecks[] = "WAIT=1\nATTEMPTS=5\n/ hello\n";
  for (const char* tag : {"v1", "v2", "v3"}) {
    BuildImage(app, tag,
               {{"index.html", fmt::format("hello {}\n", tag)},
                {"Procfile", kProcfile},
                {"CHECKS", kChecks}});
  }
  ASSERT_FALSE(HasFailure());
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"domains:set-global", "dokku.test"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"scheduler:set", app, "selected", "docker-swarm"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"registry:set", app, "server", registry.address()}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:scale", "--skip-deploy", app, "web=4", "worker=2"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"tags:deploy", app, "v1"}));
  const std::string v1_ref = ServiceImage(app + "-web");
  EXPECT_TRUE(v1_ref.starts_with(repo + "@sha256:")) << v1_ref;
  EXPECT_EQ(ServiceImage(app + "-worker"), v1_ref) << "one release, one digest, every type";

  // Swarm spreads each service's replicas: 4 web and 2 worker tasks cover all three nodes.
  std::set<std::string> nodes;
  for (const std::string& n : TaskNodes(app + "-web")) nodes.insert(n);
  for (const std::string& n : TaskNodes(app + "-worker")) nodes.insert(n);
  EXPECT_EQ(nodes, (std::set<std::string>{manager, "node1", "node2"}));
  EXPECT_EQ(TaskNodes(app + "-web").size(), 4u);
  const std::string host = app + ".dokku.test";
  // Every web task, wherever it runs, serves through nginx on the manager.
  EXPECT_TRUE(
      testutil::WaitFor([&] { return Responders(nginx.address(), host).size() == 4; }, 20000, 200));
  // The report says where each task runs.
  CommandResult report = Dokku({"ps:report", app});
  for (const std::string& n : {manager, std::string("node1"), std::string("node2")}) {
    EXPECT_NE(report.out.find(", node: " + n + ")"), std::string::npos) << report.out;
  }

  testutil::TrafficOptions options;
  options.pause_ms = 2;
  options.max_ms = 600000;
  options.good_bodies = {"hello v1\n", "hello v2\n"};
  testutil::TrafficLoop traffic(nginx.address(), host, options);
  testutil::KeepAliveLoop keepalive(nginx.address(), host, 6, {"hello v1\n", "hello v2\n"});
  traffic.Start();
  keepalive.Start();
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"tags:deploy", app, "v2"}));
  const std::string v2_ref = ServiceImage(app + "-web");
  EXPECT_TRUE(v2_ref.starts_with(repo + "@sha256:")) << v2_ref;
  EXPECT_NE(v2_ref, v1_ref);
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:restart", app}));
  // Draining a worker moves its tasks; dokkud hears the node event and follows them.
  ASSERT_EQ(RunDocker({"node", "update", "--availability", "drain", "node1"}).exit_code, 0);
  EXPECT_TRUE(testutil::WaitFor(
      [&] {
        std::multiset<std::string> web = TaskNodes(app + "-web");
        return web.size() == 4 && web.count("node1") == 0 &&
               TaskNodes(app + "-worker").count("node1") == 0;
      },
      60000, 500));
  EXPECT_TRUE(
      testutil::WaitFor([&] { return Responders(nginx.address(), host).size() == 4; }, 30000, 500))
      << "nginx reaches the moved tasks";
  traffic.Stop();
  keepalive.Stop();
  std::cout << fmt::format("traffic: {} requests; keep-alive: {} ({} on reused connections)\n",
                           traffic.total(), keepalive.total(), keepalive.reused());
  EXPECT_GT(traffic.total(), 50);
  EXPECT_GT(keepalive.reused(), 50);
  EXPECT_EQ(traffic.failed() + traffic.bad_content(), 0) << traffic.Problems();
  EXPECT_EQ(keepalive.failed() + keepalive.bad_content(), 0) << keepalive.Problems();
  EXPECT_GT(traffic.count("hello v2\n"), 0);
  ASSERT_EQ(RunDocker({"node", "update", "--availability", "active", "node1"}).exit_code, 0);

  // A worker whose engine stops: Swarm reschedules its tasks elsewhere and the report follows.
  ASSERT_OK(swarm.StopWorker("node2"));
  EXPECT_TRUE(testutil::WaitFor(
      [&] {
        std::multiset<std::string> web = TaskNodes(app + "-web");
        return web.size() == 4 && web.count("node2") == 0;
      },
      120000, 1000))
      << RunDocker({"service", "ps", app + "-web"}).out;
  EXPECT_TRUE(testutil::WaitFor(
      [&] {
        CommandResult r = Dokku({"ps:report", app});
        return r.out.find("node: node2)") == std::string::npos &&
               Dokku({"ps:report", app, "--processes"}).out == "6\n";
      },
      30000, 500))
      << Dokku({"ps:report", app}).out;
  EXPECT_EQ(testutil::HttpGet(nginx.address(), "/", host), "hello v2\n");
  ASSERT_OK(swarm.StartWorker("node2"));

  // A rollback runs release 1's digest on every node, and pushes nothing.
  CommandResult back;
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"releases:rollback", app, "1"}, &back));
  EXPECT_EQ(back.out.find("Pushing"), std::string::npos) << back.out;
  EXPECT_EQ(ServiceImage(app + "-web"), v1_ref);
  EXPECT_TRUE(testutil::WaitFor(
      [&] { return testutil::HttpGet(nginx.address(), "/", host) == "hello v1\n"; }, 20000, 100));

  // Placement: constrained to workers, every task leaves the manager and web still serves.
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"scheduler:set", app, "constraints", "node.role==worker"}));
  EXPECT_TRUE(testutil::WaitFor(
      [&] {
        std::multiset<std::string> web = TaskNodes(app + "-web");
        return web.size() == 4 && web.count(manager) == 0 &&
               TaskNodes(app + "-worker").count(manager) == 0;
      },
      60000, 500))
      << RunDocker({"service", "ps", app + "-web"}).out;
  EXPECT_TRUE(testutil::WaitFor(
      [&] { return testutil::HttpGet(nginx.address(), "/", host) == "hello v1\n"; }, 20000, 100));

  // With the registry down a new release fails before any task changes.
  registry.Stop();
  CommandResult v3 = Dokku({"tags:deploy", app, "v3"});
  EXPECT_EQ(v3.exit_code, 1) << v3.Describe();
  EXPECT_NE((v3.out + v3.err).find("Unable to push image to registry"), std::string::npos)
      << v3.Describe();
  EXPECT_EQ(ServiceImage(app + "-web"), v1_ref);
  EXPECT_EQ(ServiceImage(app + "-worker"), v1_ref);
  EXPECT_EQ(testutil::HttpGet(nginx.address(), "/", host), "hello v1\n");
  DestroyApp(app);
}

}  // namespace
}  // namespace dokku::e2e
