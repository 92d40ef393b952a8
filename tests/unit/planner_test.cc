// Plan(desired, actual): table-driven, no fakes.
#include "controller/model/planner.h"

#include <gtest/gtest.h>

namespace dokku {
namespace {

ActualContainer Live(const std::string& id, const std::string& proc, int n, const std::string& hash,
                     const std::string& state = "running") {
  return {id,   "app." + proc + "." + std::to_string(n), proc, n, ContainerRole::kLive, state, hash,
          false};
}

ActualContainer WithRole(ActualContainer c, ContainerRole role, bool registered = false) {
  c.role = role;
  c.retirement_registered = registered;
  return c;
}

DesiredApp Want(std::vector<DesiredProc> procs, bool running = true) {
  DesiredApp d;
  d.deployed = true;
  d.running = running;
  d.procs = std::move(procs);
  return d;
}

struct PlanCase {
  const char* name;
  DesiredApp desired;
  std::vector<ActualContainer> actual;
  Plan expected;
};

// Test names and failure messages show the case's name, not its bytes.
void PrintTo(const PlanCase& c, std::ostream* os) { *os << c.name; }

class PlanTest : public ::testing::TestWithParam<PlanCase> {};

TEST_P(PlanTest, MatchesExpected) {
  const PlanCase& c = GetParam();
  Plan got = MakePlan(c.desired, c.actual);
  EXPECT_EQ(got.remove, c.expected.remove);
  EXPECT_EQ(got.register_retiring, c.expected.register_retiring);
  EXPECT_EQ(got.start, c.expected.start);
  EXPECT_EQ(got.stop, c.expected.stop);
  // The diff only: the rollout policy each change carries is covered by rollout_plan_test.cc.
  for (TypeChange& change : got.changes) change.policy = {};
  EXPECT_EQ(got.changes, c.expected.changes);
}

// A TypeChange's diff, without the rollout policy (rollout_plan_test.cc covers that).
struct Diff {
  std::string proctype;
  int quantity = 0;
  std::vector<int> create;
  std::vector<std::pair<int, std::string>> replace;
  std::vector<std::pair<int, std::string>> scale_down;
};

Plan Changes(std::vector<Diff> diffs) {
  Plan p;
  for (Diff& d : diffs) {
    TypeChange c;
    c.proctype = std::move(d.proctype);
    c.quantity = d.quantity;
    c.create = std::move(d.create);
    c.replace = std::move(d.replace);
    c.scale_down = std::move(d.scale_down);
    p.changes.push_back(std::move(c));
  }
  return p;
}

const PlanCase kCases[] = {
    {"FirstDeployCreatesEveryIndex",
     Want({{"web", 2, "h1", ChecksMode::kEnabled}, {"worker", 1, "w1", ChecksMode::kEnabled}}),
     {},
     Changes({{"web", 2, {1, 2}, {}, {}}, {"worker", 1, {1}, {}, {}}})},
    {"SteadyStateDoesNothing",
     Want({{"web", 2, "h1", ChecksMode::kEnabled}}),
     {Live("a", "web", 1, "h1"), Live("b", "web", 2, "h1")},
     {}},
    {"ScaleUpAddsOnlyMissingIndices",
     Want({{"web", 3, "h1", ChecksMode::kEnabled}}),
     {Live("a", "web", 1, "h1"), Live("b", "web", 2, "h1")},
     Changes({{"web", 3, {3}, {}, {}}})},
    {"ScaleDownRemovesHighestFirst",
     Want({{"web", 1, "h1", ChecksMode::kEnabled}}),
     {Live("a", "web", 1, "h1"), Live("b", "web", 2, "h1"), Live("c", "web", 3, "h1")},
     Changes({{"web", 1, {}, {}, {{3, "c"}, {2, "b"}}}})},
    {"NewSpecReplacesEveryIndex",
     Want({{"web", 2, "h2", ChecksMode::kEnabled}}),
     {Live("a", "web", 1, "h1"), Live("b", "web", 2, "h1")},
     Changes({{"web", 2, {}, {{1, "a"}, {2, "b"}}, {}}})},
    {"WebComesBeforeOtherTypes",
     Want({{"clock", 1, "c2", ChecksMode::kEnabled}, {"web", 1, "h2", ChecksMode::kEnabled}}),
     {Live("k", "clock", 1, "c1"), Live("a", "web", 1, "h1")},
     Changes({{"web", 1, {}, {{1, "a"}}, {}}, {"clock", 1, {}, {{1, "k"}}, {}}})},
    {"TypeNoLongerWantedIsScaledDown",
     Want({{"web", 1, "h1", ChecksMode::kEnabled}}),
     {Live("a", "web", 1, "h1"), Live("w", "worker", 1, "w1")},
     Changes({{"worker", 0, {}, {}, {{1, "w"}}}})},
    {"StoppedByHandIsStartedAgain",
     Want({{"web", 1, "h1", ChecksMode::kEnabled}}),
     {Live("a", "web", 1, "h1", "exited")},
     [] {
       Plan p;
       p.start = {"a"};
       return p;
     }()},
    {"RestartingIsLeftToDocker",
     Want({{"web", 1, "h1", ChecksMode::kEnabled}}),
     {Live("a", "web", 1, "h1", "restarting")},
     {}},
    {"PsStopStopsRunningAndCreatesNothing",
     Want({{"web", 2, "h1", ChecksMode::kEnabled}}, /*running=*/false),
     {Live("a", "web", 1, "h1"), Live("b", "web", 2, "h1", "exited")},
     [] {
       Plan p;
       p.stop = {"a"};
       return p;
     }()},
    {"StoppedAppIsNotReplacedEvenWithNewSpec",
     Want({{"web", 1, "h2", ChecksMode::kEnabled}}, /*running=*/false),
     {Live("a", "web", 1, "h1", "exited")},
     {}},
    {"LeftoverUpcomingIsRemoved",
     Want({{"web", 1, "h1", ChecksMode::kEnabled}}),
     {Live("a", "web", 1, "h1"), WithRole(Live("u", "web", 1, "h2"), ContainerRole::kUpcoming)},
     [] {
       Plan p;
       p.remove = {"u"};
       return p;
     }()},
    {"UnregisteredRetiringIsRegistered",
     Want({{"web", 1, "h1", ChecksMode::kEnabled}}),
     {Live("a", "web", 1, "h1"), WithRole(Live("r", "web", 1, "h0"), ContainerRole::kRetiring),
      WithRole(Live("s", "web", 1, "h0"), ContainerRole::kRetiring, /*registered=*/true)},
     [] {
       Plan p;
       p.register_retiring = {"r"};
       return p;
     }()},
    {"UndeployedAppOwnsNothing",
     [] {
       DesiredApp d;
       d.deployed = false;
       return d;
     }(),
     {Live("a", "web", 1, "h1"), Live("b", "worker", 1, "w1")},
     [] {
       Plan p;
       p.remove = {"a", "b"};
       return p;
     }()},
    {"BlockedSpecIsNotRetried",
     [] {
       DesiredApp d = Want({{"web", 2, "bad", ChecksMode::kEnabled}});
       d.blocked_hashes = {"bad"};
       return d;
     }(),
     {Live("a", "web", 1, "good")},
     {}},
    {"MissingContainerIsRecreatedAtItsIndex",
     Want({{"web", 3, "h1", ChecksMode::kEnabled}}),
     {Live("a", "web", 1, "h1"), Live("c", "web", 3, "h1")},
     Changes({{"web", 3, {2}, {}, {}}})},
    {"FailedLivenessReplacesTheContainerAtItsIndex",
     [] {
       DesiredApp d = Want({{"web", 2, "h1", ChecksMode::kEnabled}});
       d.replace_ids = {"b"};
       return d;
     }(),
     {Live("a", "web", 1, "h1"), Live("b", "web", 2, "h1")},
     Changes({{"web", 2, {}, {{2, "b"}}, {}}})},
    {"AnExitedUnhealthyContainerIsHealedNotReplaced",
     [] {
       DesiredApp d = Want({{"web", 1, "h1", ChecksMode::kEnabled}});
       d.replace_ids = {"a"};
       return d;
     }(),
     {Live("a", "web", 1, "h1", "exited")},
     [] {
       Plan p;
       p.start = {"a"};
       return p;
     }()},
    {"ZeroQuantityTypeCreatesNothing",
     Want({{"web", 1, "h1", ChecksMode::kEnabled}, {"worker", 0, "w1", ChecksMode::kEnabled}}),
     {Live("a", "web", 1, "h1")},
     {}},
};

INSTANTIATE_TEST_SUITE_P(Plans, PlanTest, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(PlanNaming, RolesFollowDokkuNames) {
  EXPECT_EQ(RoleFromName("my.app.web.1", "my.app", "web", 1), ContainerRole::kLive);
  EXPECT_EQ(RoleFromName("my.app.web.1.upcoming-3f", "my.app", "web", 1), ContainerRole::kUpcoming);
  EXPECT_EQ(RoleFromName("my.app.web.1.1700000000", "my.app", "web", 1), ContainerRole::kRetiring);
  EXPECT_EQ(RoleFromName("my.app.web.10", "my.app", "web", 1), ContainerRole::kOther);
  EXPECT_EQ(RoleFromName("other.web.1", "my.app", "web", 1), ContainerRole::kOther);
  EXPECT_EQ(RoleFromName("my.app.web.1.x1", "my.app", "web", 1), ContainerRole::kOther);
}

TEST(PlanNaming, DynoLabelParses) {
  std::string proc;
  int n = 0;
  ASSERT_TRUE(ParseDyno("web.12", &proc, &n));
  EXPECT_EQ(proc, "web");
  EXPECT_EQ(n, 12);
  EXPECT_FALSE(ParseDyno("web", &proc, &n));
  EXPECT_FALSE(ParseDyno("web.0", &proc, &n));
  EXPECT_FALSE(ParseDyno("web.x", &proc, &n));
  EXPECT_FALSE(ParseDyno(".1", &proc, &n));
}

TEST(PlanNaming, StableHashIsStable) {
  EXPECT_EQ(StableHash("abc"), StableHash("abc"));
  EXPECT_NE(StableHash("abc"), StableHash("abd"));
  EXPECT_EQ(StableHash(""), "cbf29ce484222325");  // FNV-1a offset basis: fixed across builds
}

}  // namespace
}  // namespace dokku
