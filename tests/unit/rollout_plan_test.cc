// PlanRollout(): Dokku's rollout policy per process type, table-driven, no fakes; and MakePlan()
// handing each change the policy of its type.
#include <gtest/gtest.h>

#include "controller/model/planner.h"

namespace dokku {
namespace {

constexpr auto kStartFirst = RolloutStrategy::kStartFirst;
constexpr auto kStopFirst = RolloutStrategy::kStopFirst;
constexpr auto kRetire = Departure::kRetire;
constexpr auto kStop = Departure::kStop;

struct PolicyCase {
  const char* name;
  std::string proctype;
  ChecksMode checks;
  bool proxied;
  RolloutPolicy expected;
};

void PrintTo(const PolicyCase& c, std::ostream* os) { *os << c.name; }

class RolloutPolicyTest : public ::testing::TestWithParam<PolicyCase> {};

TEST_P(RolloutPolicyTest, MatchesDokku) {
  const PolicyCase& c = GetParam();
  RolloutPolicy got = PlanRollout(c.proctype, c.checks, c.proxied);
  EXPECT_EQ(got.strategy, c.expected.strategy);
  EXPECT_EQ(got.checks, c.expected.checks);
  EXPECT_EQ(got.checks_file, c.expected.checks_file);
  EXPECT_EQ(got.replaced, c.expected.replaced);
  EXPECT_EQ(got.scaled_down, c.expected.scaled_down);
  EXPECT_EQ(got.proxy_first, c.expected.proxy_first);
  EXPECT_EQ(got.batch_size, kAllAtOnce);
  EXPECT_EQ(got, c.expected);
}

// Fields: strategy, checks, checks_file, replaced, scaled_down, proxy_first, batch_size.
const PolicyCase kPolicies[] = {
    {"WebBehindTheProxyIsStartFirstAndRetires",
     "web",
     ChecksMode::kEnabled,
     true,
     {kStartFirst, ChecksMode::kEnabled, true, kRetire, kRetire, true, kAllAtOnce}},
    {"WebChecksSkipStaysStartFirst",
     "web",
     ChecksMode::kSkipped,
     true,
     {kStartFirst, ChecksMode::kSkipped, true, kRetire, kRetire, true, kAllAtOnce}},
    // Zero downtime disabled: the old containers stop first, leaving the proxy first; what is
    // scaled down still retires, as it left the proxy.
    {"WebChecksDisableIsStopFirst",
     "web",
     ChecksMode::kDisabled,
     true,
     {kStopFirst, ChecksMode::kDisabled, true, kStop, kRetire, true, kAllAtOnce}},
    // Without the proxy web publishes its port: nothing to move first, scale-down stops at once.
    {"WebWithoutProxyScalesDownByStopping",
     "web",
     ChecksMode::kEnabled,
     false,
     {kStartFirst, ChecksMode::kEnabled, true, kRetire, kStop, false, kAllAtOnce}},
    {"WebWithoutProxyChecksDisableIsStopFirst",
     "web",
     ChecksMode::kDisabled,
     false,
     {kStopFirst, ChecksMode::kDisabled, true, kStop, kStop, false, kAllAtOnce}},
    // Other types: never proxied, no CHECKS file (the default check), scale-down stops at once.
    {"WorkerIsStartFirstWithTheDefaultCheck",
     "worker",
     ChecksMode::kEnabled,
     true,
     {kStartFirst, ChecksMode::kEnabled, false, kRetire, kStop, false, kAllAtOnce}},
    {"WorkerChecksSkipStaysStartFirst",
     "worker",
     ChecksMode::kSkipped,
     true,
     {kStartFirst, ChecksMode::kSkipped, false, kRetire, kStop, false, kAllAtOnce}},
    {"WorkerChecksDisableIsStopFirst",
     "worker",
     ChecksMode::kDisabled,
     true,
     {kStopFirst, ChecksMode::kDisabled, false, kStop, kStop, false, kAllAtOnce}},
    {"WorkerWithoutProxyIsTheSame",
     "worker",
     ChecksMode::kEnabled,
     false,
     {kStartFirst, ChecksMode::kEnabled, false, kRetire, kStop, false, kAllAtOnce}},
    // Only "web" is web: a type merely starting with it is not.
    {"WebsocketTypeIsNotWeb",
     "websocket",
     ChecksMode::kEnabled,
     true,
     {kStartFirst, ChecksMode::kEnabled, false, kRetire, kStop, false, kAllAtOnce}},
};

INSTANTIATE_TEST_SUITE_P(Policies, RolloutPolicyTest, ::testing::ValuesIn(kPolicies),
                         [](const auto& info) { return std::string(info.param.name); });

ActualContainer Live(const std::string& id, const std::string& proc, int n,
                     const std::string& hash) {
  return {
      id,   "app." + proc + "." + std::to_string(n), proc, n, ContainerRole::kLive, "running", hash,
      false};
}

const TypeChange* ChangeOf(const Plan& plan, const std::string& proctype) {
  for (const TypeChange& c : plan.changes) {
    if (c.proctype == proctype) return &c;
  }
  return nullptr;
}

TEST(RolloutPlan, EachChangeCarriesThePolicyOfItsType) {
  // Given web with checks disabled and a worker with checks skipped, both replaced, and a
  // clock type no longer wanted: each change gets its own type's policy.
  DesiredApp d;
  d.deployed = true;
  d.procs = {{"web", 1, "h2", ChecksMode::kDisabled}, {"worker", 1, "w2", ChecksMode::kSkipped}};
  Plan plan = MakePlan(
      d, {Live("a", "web", 1, "h1"), Live("b", "worker", 1, "w1"), Live("c", "clock", 1, "c1")});
  ASSERT_EQ(plan.changes.size(), 3u);
  EXPECT_EQ(ChangeOf(plan, "web")->policy, PlanRollout("web", ChecksMode::kDisabled, true));
  EXPECT_EQ(ChangeOf(plan, "worker")->policy, PlanRollout("worker", ChecksMode::kSkipped, true));
  // A type gone from the formation has no checks setting of its own: the default.
  EXPECT_EQ(ChangeOf(plan, "clock")->policy, PlanRollout("clock", ChecksMode::kEnabled, true));
}

TEST(RolloutPlan, ProxiedComesFromTheDesiredApp) {
  DesiredApp d;
  d.deployed = true;
  d.proxied = false;
  d.procs = {{"web", 1, "h1", ChecksMode::kEnabled}};
  Plan plan = MakePlan(d, {Live("a", "web", 1, "h1"), Live("b", "web", 2, "h1")});
  ASSERT_EQ(plan.changes.size(), 1u);
  EXPECT_FALSE(plan.changes[0].policy.proxy_first);
  EXPECT_EQ(plan.changes[0].policy.scaled_down, Departure::kStop);
}

}  // namespace
}  // namespace dokku

namespace dokku {
namespace {

TEST(RolloutBatches, SplitsIndicesInOrderByMaxParallel) {
  struct Case {
    std::vector<int> indices;
    int batch_size;
    std::vector<std::vector<int>> expected;
  };
  const Case cases[] = {
      {{1, 2, 3, 4, 5, 6}, 2, {{1, 2}, {3, 4}, {5, 6}}},
      {{1, 2, 3, 4, 5}, 2, {{1, 2}, {3, 4}, {5}}},
      {{1, 2, 3}, 1, {{1}, {2}, {3}}},
      {{1, 2, 3}, 10, {{1, 2, 3}}},
      {{1, 2, 3}, kAllAtOnce, {{1, 2, 3}}},
      {{}, 2, {}},
      {{4, 7}, 1, {{4}, {7}}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(RolloutBatches(c.indices, c.batch_size), c.expected) << c.batch_size;
  }
}

TEST(RolloutBatches, MaxParallelBecomesTheBatchSize) {
  EXPECT_EQ(PlanRollout("web", ChecksMode::kEnabled, true, 3).batch_size, 3);
  EXPECT_EQ(PlanRollout("worker", ChecksMode::kDisabled, true, 1).batch_size, 1);
  EXPECT_EQ(PlanRollout("web", ChecksMode::kEnabled, true, 0).batch_size, kAllAtOnce);
  EXPECT_EQ(PlanRollout("web", ChecksMode::kEnabled, true, -2).batch_size, kAllAtOnce);
}

}  // namespace
}  // namespace dokku
