// SwarmClient against a scripted HttpTransport: the exact requests it sends and how it reads
// dockerd's answers (bodies recorded from dockerd 20.10 / API 1.41 on a one-node swarm, trimmed).
#include <gtest/gtest.h>

#include <deque>
#include <nlohmann/json.hpp>

#include "controller/scheduler/swarm/swarm_api.h"
#include "tests/testing/testutil.h"

namespace dokku {
namespace {

using nlohmann::json;

struct Sent {
  std::string method, path, body, content_type;
};

class RecordingTransport : public HttpTransport {
 public:
  void Reply(long status, std::string body = "") {  // NOLINT(runtime/int)
    replies_.push_back(HttpResponse{status, std::move(body), {}});
  }
  StatusOr<HttpResponse> Request(const std::string& method, const std::string& path,
                                 const std::string& body, const std::string& content_type,
                                 std::chrono::milliseconds) override {
    sent.push_back({method, path, body, content_type});
    if (replies_.empty()) return Status::Unavailable("test: no reply scripted");
    HttpResponse reply = replies_.front();
    replies_.pop_front();
    return reply;
  }
  StatusOr<HttpResponse> Stream(const std::string&, const std::function<void(std::string_view)>&,
                                const std::atomic<bool>&) override {
    return Status::Internal("test: no streams");
  }
  std::vector<Sent> sent;

 private:
  std::deque<HttpResponse> replies_;
};

// GET /services/swx-host after a scale to 1 (PreviousSpec and runtime fields trimmed).
constexpr char kServiceBody[] = R"({"ID":"c0fjoebai2jlt47k01g5zukrf","Version":{"Index":89},
"CreatedAt":"2026-11-26T08:45:40.775555008Z","UpdatedAt":"2026-11-26T08:47:07.196050535Z",
"Spec":{"Name":"swx-host","Labels":{"com.dokku.app-name":"swx"},"TaskTemplate":{"ContainerSpec":{
"Image":"sha256:905fe49780f0a93d20ae60c8b9f26170915f74e97bafaadfc2f063d78aba4158",
"Labels":{"com.dokku.app-name":"swx"},"Args":["/bin/sh","-c","httpd -f -p $PORT -h /app"],
"Env":["DYNO=web.{{.Task.Slot}}","PORT=5000"],"Init":true,"StopGracePeriod":5000000000,
"Healthcheck":{"Test":["CMD-SHELL","wget -q -O- http://127.0.0.1:$PORT/ | grep -qF -e 'hello'"],
"Interval":1000000000,"Timeout":3000000000,"Retries":3},"Isolation":"default"},
"RestartPolicy":{"Condition":"on-failure","MaxAttempts":10},"ForceUpdate":1,"Runtime":"container"},
"Mode":{"Replicated":{"Replicas":1}},"UpdateConfig":{"Parallelism":1,"FailureAction":"rollback",
"Monitor":2000000000,"MaxFailureRatio":0,"Order":"start-first"},"RollbackConfig":{"Parallelism":1,
"FailureAction":"pause","Monitor":2000000000,"MaxFailureRatio":0,"Order":"start-first"},
"EndpointSpec":{"Mode":"vip","Ports":[{"Protocol":"tcp","TargetPort":5000,"PublishMode":"ingress"}]}},
"Endpoint":{"Spec":{"Mode":"vip","Ports":[{"Protocol":"tcp","TargetPort":5000,"PublishMode":"ingress"}]},
"Ports":[{"Protocol":"tcp","TargetPort":5000,"PublishedPort":30000,"PublishMode":"ingress"}],
"VirtualIPs":[{"NetworkID":"awmp3y7nie14dcr9ai0iu78ce","Addr":"10.0.0.3/24"}]},
"UpdateStatus":{"State":"rollback_completed","StartedAt":"2026-11-26T08:46:04.795083734Z",
"CompletedAt":"2026-11-26T08:46:15.704251696Z","Message":"rollback completed"}})";

// GET /tasks: a running host-mode task and a failed one on the ingress network.
constexpr char kTasksBody[] = R"([{"ID":"icq4s1uq5s485nv4naueqg90b","Version":{"Index":68},
"CreatedAt":"2026-11-26T08:46:45.816603445Z","UpdatedAt":"2026-11-26T08:46:47.724972564Z",
"Labels":{},"Spec":{"ContainerSpec":{"Image":"sha256:905fe497","Labels":{"com.dokku.app-name":"swx"},
"Env":["DYNO=web.{{.Task.Slot}}","PORT=5000"],"Init":true},"ForceUpdate":1},
"ServiceID":"c0fjoebai2jlt47k01g5zukrf","Slot":1,"NodeID":"2i3quv8udtbgf2tgr5f2pcwbc",
"Status":{"Timestamp":"2026-11-26T08:46:47.634896778Z","State":"running","Message":"started",
"ContainerStatus":{"ContainerID":"b97e7b229c36","PID":25832,"ExitCode":0},
"PortStatus":{"Ports":[{"Protocol":"tcp","TargetPort":5000,"PublishedPort":32775,"PublishMode":"host"},
{"Protocol":"tcp","TargetPort":5000,"PublishedPort":32772,"PublishMode":"host"}]}},
"DesiredState":"running"},
{"ID":"bcf3fgeimmixj6ur7iv48y30m","Version":{"Index":50},"CreatedAt":"2026-11-26T08:46:04.8Z",
"UpdatedAt":"2026-11-26T08:46:12Z","Labels":{},"Spec":{"ContainerSpec":{"Image":"sha256:905fe497"},
"ForceUpdate":0},"ServiceID":"c0fjoebai2jlt47k01g5zukrf","Slot":2,"NodeID":"2i3quv8udtbgf2tgr5f2pcwbc",
"Status":{"Timestamp":"2026-11-26T08:46:11.5Z","State":"failed","Message":"starting",
"Err":"task: non-zero exit (143): dockerexec: unhealthy container",
"ContainerStatus":{"ContainerID":"5d1c","ExitCode":143},"PortStatus":{}},"DesiredState":"shutdown",
"NetworksAttachments":[{"Network":{"ID":"awmp3y7nie14","Spec":{"Name":"ingress","Ingress":true}},
"Addresses":["10.0.0.5/24"]}]}])";

constexpr char kNotManagerBody[] =
    R"({"message":"This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again."})";

SwarmServiceSpec SampleSpec() {
  SwarmServiceSpec s;
  s.name = "blog-web";
  s.labels = {{"com.dokku.app-name", "blog"}, {"com.dokkud.store", "s1"}};
  s.image = "sha256:abc";
  s.args = {"/bin/sh", "-c", "httpd -f -p $PORT"};
  s.env = {"DYNO=web.{{.Task.Slot}}", "PORT=5000"};
  s.container_labels = {{"com.dokku.app-name", "blog"}};
  s.init = true;
  s.stop_grace_ns = 30'000'000'000;
  s.healthcheck = SwarmHealthcheck{
      {"CMD-SHELL", "wget -q -O- 'http://127.0.0.1:5000/'"}, 2'000'000'000, 30'000'000'000, 0, 5};
  s.restart_condition = "on-failure";
  s.restart_max_attempts = 10;
  s.force_update = 3;
  s.replicas = 2;
  s.update = {1, "start-first", "rollback", 2'000'000'000, 0};
  s.rollback = {1, "start-first", "pause", 2'000'000'000, 0};
  s.ports = {{5000, 0, "ingress"}};
  return s;
}

class SwarmClientTest : public ::testing::Test {
 protected:
  RecordingTransport transport_;
  SwarmClient client_{&transport_};
};

TEST_F(SwarmClientTest, CreateSendsTheWholeSpec) {
  transport_.Reply(201, R"({"ID":"vigr9x0e2ioevsljytefy6j7i"})");
  StatusOr<std::string> id = client_.CreateService(SampleSpec());
  ASSERT_OK(id);
  EXPECT_EQ(*id, "vigr9x0e2ioevsljytefy6j7i");
  ASSERT_EQ(transport_.sent.size(), 1u);
  const Sent& sent = transport_.sent[0];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.path, "/v1.41/services/create");
  EXPECT_EQ(sent.content_type, "application/json");
  const json body = json::parse(sent.body);
  EXPECT_EQ(body["Name"], "blog-web");
  EXPECT_EQ(body["Labels"]["com.dokkud.store"], "s1");
  const json& container = body["TaskTemplate"]["ContainerSpec"];
  EXPECT_EQ(container["Image"], "sha256:abc");
  EXPECT_EQ(container["Args"], json({"/bin/sh", "-c", "httpd -f -p $PORT"}));
  EXPECT_FALSE(container.contains("Command"));  // the image's ENTRYPOINT stays, as docker-local
  EXPECT_EQ(container["Env"], json({"DYNO=web.{{.Task.Slot}}", "PORT=5000"}));
  EXPECT_EQ(container["Labels"]["com.dokku.app-name"], "blog");
  EXPECT_EQ(container["Init"], true);
  EXPECT_EQ(container["StopGracePeriod"], 30'000'000'000);
  EXPECT_EQ(container["Healthcheck"]["Test"][0], "CMD-SHELL");
  EXPECT_EQ(container["Healthcheck"]["Interval"], 2'000'000'000);
  EXPECT_EQ(container["Healthcheck"]["Timeout"], 30'000'000'000);
  EXPECT_EQ(container["Healthcheck"]["Retries"], 5);
  EXPECT_EQ(body["TaskTemplate"]["RestartPolicy"],
            json({{"Condition", "on-failure"}, {"MaxAttempts", 10}}));
  EXPECT_EQ(body["TaskTemplate"]["ForceUpdate"], 3);
  EXPECT_EQ(body["Mode"]["Replicated"]["Replicas"], 2);
  EXPECT_EQ(body["UpdateConfig"]["Parallelism"], 1);
  EXPECT_EQ(body["UpdateConfig"]["Order"], "start-first");
  EXPECT_EQ(body["UpdateConfig"]["FailureAction"], "rollback");
  EXPECT_EQ(body["UpdateConfig"]["Monitor"], 2'000'000'000);
  EXPECT_EQ(body["RollbackConfig"]["FailureAction"], "pause");
  EXPECT_EQ(body["EndpointSpec"]["Ports"],
            json::parse(R"([{"Protocol":"tcp","TargetPort":5000,"PublishMode":"ingress"}])"));
}

TEST_F(SwarmClientTest, CreateLeavesOutWhatIsNotSet) {
  SwarmServiceSpec spec = SampleSpec();
  spec.args.clear();
  spec.healthcheck.reset();
  spec.ports.clear();
  transport_.Reply(201, R"({"ID":"x"})");
  ASSERT_OK(client_.CreateService(spec));
  const json body = json::parse(transport_.sent[0].body);
  EXPECT_FALSE(body["TaskTemplate"]["ContainerSpec"].contains("Args"));  // the image's CMD
  EXPECT_FALSE(body["TaskTemplate"]["ContainerSpec"].contains("Healthcheck"));
  EXPECT_EQ(body["EndpointSpec"]["Ports"], json::array());
}

TEST_F(SwarmClientTest, CreateOfATakenNameIsConflict) {
  transport_.Reply(409,
                   R"({"message":"rpc error: code = AlreadyExists desc = name conflicts with an )"
                   R"(existing object: service blog-web already exists"})");
  Status st = client_.CreateService(SampleSpec()).status();
  EXPECT_TRUE(st.IsConflict()) << st.ToString();
  EXPECT_NE(st.message().find("already exists"), std::string::npos);
}

TEST_F(SwarmClientTest, SpecThatIsNotUtf8IsRejectedBeforeSending) {
  SwarmServiceSpec spec = SampleSpec();
  spec.env.push_back("BAD=\xff\xfe");
  Status st = client_.CreateService(spec).status();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(transport_.sent.empty());
}

TEST_F(SwarmClientTest, UpdateSendsTheVersionItRead) {
  transport_.Reply(200, R"({"Warnings":null})");
  ASSERT_OK(client_.UpdateService("c0fjoebai2jl", 89, SampleSpec()));
  EXPECT_EQ(transport_.sent[0].method, "POST");
  EXPECT_EQ(transport_.sent[0].path, "/v1.41/services/c0fjoebai2jl/update?version=89");
  EXPECT_EQ(json::parse(transport_.sent[0].body)["Mode"]["Replicated"]["Replicas"], 2);
}

TEST_F(SwarmClientTest, UpdateOutOfSequenceIsConflict) {
  transport_.Reply(500, R"({"message":"rpc error: code = Unknown desc = update out of sequence"})");
  Status st = client_.UpdateService("c0fjoebai2jl", 61, SampleSpec());
  EXPECT_TRUE(st.IsConflict()) << st.ToString();
}

TEST_F(SwarmClientTest, NotASwarmManagerIsFailedPrecondition) {
  transport_.Reply(503, kNotManagerBody);
  Status st = client_.ListServices({}).status();
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st.ToString();
  EXPECT_NE(st.message().find("docker swarm init"), std::string::npos);
  // Other 5xx answers stay retryable.
  transport_.Reply(500, R"({"message":"rpc error: code = Unavailable desc = raft lost"})");
  EXPECT_TRUE(client_.ListServices({}).status().IsUnavailable());
}

TEST_F(SwarmClientTest, InspectDecodesARecordedService) {
  transport_.Reply(200, kServiceBody);
  StatusOr<SwarmService> s = client_.InspectService("swx-host");
  ASSERT_OK(s);
  EXPECT_EQ(transport_.sent[0].path, "/v1.41/services/swx-host");
  EXPECT_EQ(s->id, "c0fjoebai2jlt47k01g5zukrf");
  EXPECT_EQ(s->version, 89u);
  EXPECT_EQ(s->created_at, 1795682740);
  EXPECT_EQ(s->spec.name, "swx-host");
  EXPECT_EQ(s->spec.labels.at("com.dokku.app-name"), "swx");
  EXPECT_EQ(s->spec.image,
            "sha256:905fe49780f0a93d20ae60c8b9f26170915f74e97bafaadfc2f063d78aba4158");
  EXPECT_EQ(s->spec.args, (std::vector<std::string>{"/bin/sh", "-c", "httpd -f -p $PORT -h /app"}));
  EXPECT_EQ(s->spec.env.size(), 2u);
  EXPECT_TRUE(s->spec.init);
  EXPECT_EQ(s->spec.stop_grace_ns, 5'000'000'000);
  ASSERT_TRUE(s->spec.healthcheck.has_value());
  EXPECT_EQ(s->spec.healthcheck->retries, 3);
  EXPECT_EQ(s->spec.healthcheck->interval_ns, 1'000'000'000);
  EXPECT_EQ(s->spec.restart_condition, "on-failure");
  EXPECT_EQ(s->spec.restart_max_attempts, 10);
  EXPECT_EQ(s->spec.force_update, 1u);
  EXPECT_EQ(s->spec.replicas, 1);
  EXPECT_EQ(s->spec.update, (SwarmUpdatePolicy{1, "start-first", "rollback", 2'000'000'000, 0}));
  EXPECT_EQ(s->spec.rollback.failure_action, "pause");
  ASSERT_EQ(s->endpoint_ports.size(), 1u);
  EXPECT_EQ(s->endpoint_ports[0], (SwarmPort{5000, 30000, "ingress"}));
  EXPECT_EQ(s->update_status.state, "rollback_completed");
  EXPECT_EQ(s->update_status.message, "rollback completed");
}

TEST_F(SwarmClientTest, InspectOfAMissingServiceIsNotFound) {
  transport_.Reply(404, R"({"message":"service nosuch not found"})");
  Status st = client_.InspectService("nosuch").status();
  EXPECT_TRUE(st.IsNotFound());
  EXPECT_EQ(st.message(), "service nosuch not found");
}

// A service as GET /services/{id} answers it, around an encoded spec.
StatusOr<SwarmService> DecodeEncoded(const std::string& encoded_spec) {
  return DecodeService(R"({"ID":"x","Version":{"Index":1},"Spec":)" + encoded_spec + "}");
}

TEST_F(SwarmClientTest, EncodedSpecDecodesToTheSameSpec) {
  StatusOr<std::string> encoded = EncodeServiceSpec(SampleSpec());
  ASSERT_OK(encoded);
  StatusOr<SwarmService> decoded = DecodeEncoded(*encoded);
  ASSERT_OK(decoded);
  EXPECT_EQ(decoded->spec, SampleSpec());
}

TEST_F(SwarmClientTest, MountsAndResourcesRoundTrip) {
  SwarmServiceSpec spec = SampleSpec();
  spec.mounts = {{"bind", "/srv/data", "/data", true, "rslave", false},
                 {"volume", "vol1", "/cache", false, "", true}};
  spec.limit_memory = 64LL << 20;
  spec.limit_nano_cpus = 500'000'000;
  spec.reserve_memory = 32LL << 20;
  StatusOr<std::string> encoded = EncodeServiceSpec(spec);
  ASSERT_OK(encoded);
  EXPECT_NE(encoded->find(R"("Resources":{"Limits":{"MemoryBytes":67108864,"NanoCPUs":500000000},)"
                          R"("Reservations":{"MemoryBytes":33554432}})"),
            std::string::npos)
      << *encoded;
  StatusOr<SwarmService> decoded = DecodeEncoded(*encoded);
  ASSERT_OK(decoded);
  EXPECT_EQ(decoded->spec, spec);
  EXPECT_EQ(EncodeServiceSpec(SampleSpec())->find("Resources"), std::string::npos);
}

TEST_F(SwarmClientTest, PlacementRoundTrips) {
  SwarmServiceSpec spec = SampleSpec();
  spec.constraints = {"node.role==worker", "node.labels.tier!=db"};
  spec.max_replicas_per_node = 2;
  StatusOr<std::string> encoded = EncodeServiceSpec(spec);
  ASSERT_OK(encoded);
  EXPECT_NE(encoded->find(R"("Placement":{"Constraints":["node.role==worker",)"
                          R"("node.labels.tier!=db"],"MaxReplicas":2})"),
            std::string::npos)
      << *encoded;
  StatusOr<SwarmService> decoded = DecodeEncoded(*encoded);
  ASSERT_OK(decoded);
  EXPECT_EQ(decoded->spec, spec);
  EXPECT_EQ(EncodeServiceSpec(SampleSpec())->find("Placement"), std::string::npos)
      << "no placement unless one is set";
}

TEST_F(SwarmClientTest, ListFiltersByLabel) {
  transport_.Reply(200, std::string("[") + kServiceBody + "]");
  StatusOr<std::vector<SwarmService>> list =
      client_.ListServices({"com.dokku.app-name=swx", "com.dokkud.store=s1"});
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].spec.name, "swx-host");
  // filters={"label":["com.dokku.app-name=swx","com.dokkud.store=s1"]}
  EXPECT_EQ(transport_.sent[0].path,
            "/v1.41/services?filters=%7B%22label%22%3A%5B%22com.dokku.app-name%3Dswx%22%2C%22"
            "com.dokkud.store%3Ds1%22%5D%7D");
  transport_.Reply(200, "[]");
  ASSERT_OK(client_.ListServices({}));
  EXPECT_EQ(transport_.sent[1].path, "/v1.41/services");
}

TEST_F(SwarmClientTest, RemoveTreatsMissingAsDone) {
  transport_.Reply(404, R"({"message":"service nosuch not found"})");
  EXPECT_OK(client_.RemoveService("nosuch"));
  EXPECT_EQ(transport_.sent[0].method, "DELETE");
  EXPECT_EQ(transport_.sent[0].path, "/v1.41/services/nosuch");
  transport_.Reply(500, R"({"message":"rpc error: code = Unavailable"})");
  EXPECT_TRUE(client_.RemoveService("x").IsUnavailable());
}

TEST_F(SwarmClientTest, TasksAreDecoded) {
  transport_.Reply(200, kTasksBody);
  StatusOr<std::vector<SwarmTask>> tasks = client_.ListTasks("c0fjoebai2jlt47k01g5zukrf");
  ASSERT_OK(tasks);
  EXPECT_EQ(transport_.sent[0].path,
            "/v1.41/tasks?filters=%7B%22service%22%3A%5B%22c0fjoebai2jlt47k01g5zukrf%22%5D%7D");
  ASSERT_EQ(tasks->size(), 2u);
  const SwarmTask& running = (*tasks)[0];
  EXPECT_EQ(running.id, "icq4s1uq5s485nv4naueqg90b");
  EXPECT_EQ(running.service_id, "c0fjoebai2jlt47k01g5zukrf");
  EXPECT_EQ(running.node_id, "2i3quv8udtbgf2tgr5f2pcwbc");
  EXPECT_EQ(running.slot, 1);
  EXPECT_EQ(running.desired_state, "running");
  EXPECT_EQ(running.state, "running");
  EXPECT_EQ(running.message, "started");
  EXPECT_EQ(running.container_id, "b97e7b229c36");
  EXPECT_EQ(running.host_ports, (std::vector<int>{32775, 32772}));
  EXPECT_EQ(running.ip, "");
  EXPECT_EQ(running.status_at, 1795682807);
  EXPECT_EQ(running.created_at, 1795682805);
  EXPECT_EQ(running.image, "sha256:905fe497");
  EXPECT_EQ(running.container_labels.at("com.dokku.app-name"), "swx");
  EXPECT_EQ(running.force_update, 1u);
  const SwarmTask& failed = (*tasks)[1];
  EXPECT_EQ(failed.slot, 2);
  EXPECT_EQ(failed.desired_state, "shutdown");
  EXPECT_EQ(failed.state, "failed");
  EXPECT_EQ(failed.error, "task: non-zero exit (143): dockerexec: unhealthy container");
  EXPECT_EQ(failed.exit_code, 143);
  EXPECT_EQ(failed.ip, "10.0.0.5");  // without the prefix length
  EXPECT_TRUE(failed.host_ports.empty());
}

TEST_F(SwarmClientTest, InfoReadsTheSwarmState) {
  transport_.Reply(200, R"({"ID":"X","Containers":3,"Swarm":{"NodeID":"2i3quv8udtbg",
    "NodeAddr":"127.0.0.1","LocalNodeState":"active","ControlAvailable":true,"Error":"",
    "RemoteManagers":[{"NodeID":"2i3quv8udtbg","Addr":"127.0.0.1:2377"}],"Nodes":1,"Managers":1}})");
  StatusOr<SwarmInfo> info = client_.Info();
  ASSERT_OK(info);
  EXPECT_EQ(transport_.sent[0].path, "/v1.41/info");
  EXPECT_EQ(info->node_id, "2i3quv8udtbg");
  EXPECT_EQ(info->node_addr, "127.0.0.1");
  EXPECT_EQ(info->local_node_state, "active");
  EXPECT_TRUE(info->control_available);

  transport_.Reply(200, R"({"Swarm":{"NodeID":"","NodeAddr":"","LocalNodeState":"inactive",
    "ControlAvailable":false,"Error":"","RemoteManagers":null}})");
  info = client_.Info();
  ASSERT_OK(info);
  EXPECT_EQ(info->local_node_state, "inactive");
  EXPECT_FALSE(info->control_available);
}

TEST_F(SwarmClientTest, NodesAreDecoded) {
  transport_.Reply(200, R"([{"ID":"2i3quv8udtbg","Version":{"Index":9},
    "Spec":{"Labels":{},"Role":"manager","Availability":"active"},
    "Description":{"Hostname":"vm","Platform":{"Architecture":"x86_64","OS":"linux"}},
    "Status":{"State":"ready","Addr":"127.0.0.1"},
    "ManagerStatus":{"Leader":true,"Reachability":"reachable","Addr":"127.0.0.1:2377"}}])");
  StatusOr<std::vector<SwarmNode>> nodes = client_.ListNodes();
  ASSERT_OK(nodes);
  ASSERT_EQ(nodes->size(), 1u);
  EXPECT_EQ((*nodes)[0].id, "2i3quv8udtbg");
  EXPECT_EQ((*nodes)[0].hostname, "vm");
  EXPECT_EQ((*nodes)[0].addr, "127.0.0.1");
  EXPECT_EQ((*nodes)[0].state, "ready");
  EXPECT_EQ((*nodes)[0].role, "manager");
  EXPECT_EQ((*nodes)[0].availability, "active");
}

TEST_F(SwarmClientTest, LocalHostPortIsTheIpv4Binding) {
  // dockerd 20.10 binds 0.0.0.0 and :: to different ephemeral ports.
  transport_.Reply(200, R"({"Id":"b97e","NetworkSettings":{"Ports":{"5000/tcp":[
    {"HostIp":"::","HostPort":"32772"},{"HostIp":"0.0.0.0","HostPort":"32775"}]}}})");
  StatusOr<int> port = client_.LocalHostPort("b97e", 5000);
  ASSERT_OK(port);
  EXPECT_EQ(*port, 32775);
  EXPECT_EQ(transport_.sent[0].path, "/v1.41/containers/b97e/json");

  transport_.Reply(200, R"({"Id":"b97e","NetworkSettings":{"Ports":{"5000/tcp":null}}})");
  port = client_.LocalHostPort("b97e", 5000);
  ASSERT_OK(port);
  EXPECT_EQ(*port, 0);

  transport_.Reply(404, R"({"message":"No such container: b97e"})");
  EXPECT_TRUE(client_.LocalHostPort("b97e", 5000).status().IsNotFound());
}

TEST_F(SwarmClientTest, MalformedAnswersAreInternal) {
  EXPECT_EQ(DecodeService("{").status().code(), StatusCode::kInternal);
  EXPECT_EQ(DecodeTaskList(R"({"not":"a list"})").status().code(), StatusCode::kInternal);
  StatusOr<std::vector<SwarmTask>> none = DecodeTaskList("null");
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
  // Mistyped fields read as empty instead of failing the whole answer.
  StatusOr<std::vector<SwarmTask>> odd =
      DecodeTaskList(R"([{"ID":7,"Slot":"3","Status":{"State":null,"PortStatus":"x"}}])");
  ASSERT_OK(odd);
  EXPECT_EQ((*odd)[0].id, "");
  EXPECT_EQ((*odd)[0].slot, 3);
  EXPECT_EQ((*odd)[0].state, "");
}

TEST_F(SwarmClientTest, TransportFailuresPassThrough) {
  Status st = client_.Info().status();  // nothing scripted: the transport fails
  EXPECT_TRUE(st.IsUnavailable());
}

}  // namespace
}  // namespace dokku
