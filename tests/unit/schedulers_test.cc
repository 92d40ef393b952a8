// The scheduler list: one source for validation, help and the reconciler's default.
#include "store/schedulers.h"

#include <gtest/gtest.h>

#include "tests/testing/testutil.h"

namespace dokku {
namespace {

TEST(SchedulersTest, KnowsLocalFirstThenSwarm) {
  ASSERT_EQ(KnownSchedulers().size(), 2u);
  EXPECT_EQ(KnownSchedulers()[0].name, kDefaultScheduler);
  EXPECT_EQ(KnownSchedulers()[1].name, "docker-swarm");
  EXPECT_EQ(SchedulerNameList(), "docker-local, docker-swarm");
  EXPECT_EQ(SchedulerNameList(" | "), "docker-local | docker-swarm");
}

TEST(SchedulersTest, OnlyExactNamesAreKnown) {
  for (std::string_view name : {"docker-local", "docker-swarm"})
    EXPECT_TRUE(IsKnownScheduler(name));
  for (std::string_view name : {"", "docker", "Docker-local", "docker-local ", "k3s", "null"}) {
    EXPECT_FALSE(IsKnownScheduler(name)) << name;
  }
}

// What an operator sees comes from the same list: the refusal and the help row.
TEST(SchedulersTest, CliRefusalAndHelpNameEveryScheduler) {
  testutil::TempDir tmp;
  testutil::CommandResult create = testutil::RunDokku(tmp.path(), {"apps:create", "sched"});
  ASSERT_EQ(create.exit_code, 0) << create.Describe();
  testutil::CommandResult bad =
      testutil::RunDokku(tmp.path(), {"scheduler:set", "sched", "selected", "k3s"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("Invalid scheduler 'k3s': valid schedulers are " + SchedulerNameList()),
            std::string::npos)
      << bad.Describe();
  testutil::CommandResult help = testutil::RunDokku(tmp.path(), {"help", "--all"});
  EXPECT_NE((help.out + help.err).find("selected: " + SchedulerNameList(" | ")), std::string::npos)
      << help.Describe();
}

}  // namespace
}  // namespace dokku
