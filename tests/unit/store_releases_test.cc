// Store: releases, rollbacks, tag operations, requests, and the observed side written by dokkud
// (containers, observed generation, retirements, images, events, change feed, heartbeat).
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/store.h"
#include "tests/testing/testutil.h"

namespace dokku {
namespace {

using testutil::TempDir;

class StoreReleasesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<std::unique_ptr<Store>> opened = Store::Open(":memory:", &clock_);
    ASSERT_OK(opened);
    store_ = std::move(opened).value();
    ASSERT_OK(store().CreateApp("app"));
  }
  Store& store() { return *store_; }

  // dokkud's side of a release: resolve it and set its status (live also makes it current).
  StatusOr<Release> Resolve(Release r, const std::string& status) {
    r.image_id = "sha256:" + r.tag + "-" + std::to_string(r.number);
    r.procfile = "web: httpd\nworker: sleep 1\n";
    r.checks = "/ ok";
    r.proctypes = std::vector<std::string>{"web", "worker"};
    r.status = status;
    DOKKU_RETURN_IF_ERROR(store().UpdateRelease(r));
    if (status == "live") DOKKU_RETURN_IF_ERROR(store().SetCurrentRelease(r.app, r.id));
    return store().GetRelease(r.id);
  }
  StatusOr<Release> NewRelease(const std::string& tag, const std::string& status) {
    StatusOr<Release> r = store().CreateRelease("app", tag, "tags:deploy");
    if (!r.ok()) return r;
    return Resolve(*r, status);
  }

  FakeClock clock_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreReleasesTest, CreateReleaseNumbersPerApp) {
  ASSERT_OK(store().CreateApp("second"));
  clock_.Set(1'700'000'555'000);
  for (int64_t n = 1; n <= 3; ++n) {
    SCOPED_TRACE(n);
    auto r = store().CreateRelease("app", fmt::format("v{}", n), "tags:deploy");
    ASSERT_OK(r);
    EXPECT_EQ(r->number, n);
    EXPECT_EQ(r->app, "app");
    EXPECT_EQ(r->image_ref, "dokku/app:v" + std::to_string(n));
    EXPECT_EQ(r->status, "pending");
    EXPECT_EQ(r->trigger, "tags:deploy");
    EXPECT_EQ(r->image_id, "");
    EXPECT_FALSE(r->rollback_of);
    EXPECT_EQ(r->created_at, 1'700'000'555);
    EXPECT_EQ(store().GetApp("app")->desired_release, r->id);
    auto stored = store().GetRelease(r->id);
    ASSERT_OK(stored);
    EXPECT_EQ(stored->image_ref, r->image_ref);
    EXPECT_EQ(stored->number, n);
  }
  auto other = store().CreateRelease("second", "latest", "ps:rebuild");
  ASSERT_OK(other);
  EXPECT_EQ(other->number, 1);
  EXPECT_EQ(other->image_ref, "dokku/second:latest");
  auto list = store().ListReleases("app");
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 3u);
  for (size_t i = 0; i < list->size(); ++i)
    EXPECT_EQ((*list)[i].number, static_cast<int64_t>(i + 1));
}

TEST_F(StoreReleasesTest, UpdateReleaseRoundTripsFiles) {
  struct Case {
    const char* name;
    std::optional<std::vector<std::string>> proctypes;
    std::optional<std::string> procfile;
    std::optional<std::string> dokku_scale;
  };
  const Case cases[] = {
      {"no Procfile", std::nullopt, std::nullopt, std::nullopt},
      {"two types", std::vector<std::string>{"web", "worker"}, "web: a\nworker: b\n", "web=2\n"},
      {"empty Procfile", std::vector<std::string>{}, "", std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = store().CreateRelease("app", "latest", "tags:deploy");
    ASSERT_OK(r);
    clock_.Advance(5000);
    r->image_id = "sha256:abc";
    r->proctypes = c.proctypes;
    r->procfile = c.procfile;
    r->dokku_scale = c.dokku_scale;
    r->checks = std::nullopt;
    r->status = "failed";
    r->error = "boom";
    ASSERT_OK(store().UpdateRelease(*r));
    auto got = store().GetRelease(r->id);
    ASSERT_OK(got);
    EXPECT_EQ(got->image_id, "sha256:abc");
    EXPECT_EQ(got->proctypes, c.proctypes);
    EXPECT_EQ(got->procfile, c.procfile);
    EXPECT_EQ(got->dokku_scale, c.dokku_scale);
    EXPECT_FALSE(got->checks);
    EXPECT_EQ(got->status, "failed");
    EXPECT_EQ(got->error, "boom");
    EXPECT_EQ(got->updated_at, clock_.NowSeconds());
  }
  auto missing = store().GetRelease(999);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST_F(StoreReleasesTest, RebuildUsesTheCurrentTag) {
  auto never = store().Rebuild("app");
  EXPECT_EQ(never.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(never.status().message(), "App app has not been deployed");
  auto missing = store().Rebuild("nope");
  EXPECT_EQ(missing.status().message(), "App nope does not exist");
  ASSERT_OK(NewRelease("v1", "live"));
  auto r = store().Rebuild("app");
  ASSERT_OK(r);
  EXPECT_EQ(r->tag, "v1");
  EXPECT_EQ(r->number, 2);
  EXPECT_EQ(r->status, "pending");
  EXPECT_EQ(r->trigger, "ps:rebuild");
  EXPECT_EQ(r->image_id, "");  // re-resolved by dokkud
  EXPECT_EQ(store().GetApp("app")->desired_release, r->id);
}

TEST_F(StoreReleasesTest, TheActorIsRecordedInEveryTrigger) {
  ASSERT_OK(NewRelease("v1", "live"));
  store().SetActor("ssh key alice");
  auto deploy = store().CreateRelease("app", "v2", "tags:deploy");
  ASSERT_OK(deploy);
  EXPECT_EQ(deploy->trigger, "tags:deploy by ssh key alice");
  EXPECT_EQ(store().GetRelease(deploy->id)->trigger, "tags:deploy by ssh key alice");
  EXPECT_EQ(store().Rebuild("app")->trigger, "ps:rebuild by ssh key alice");
  EXPECT_EQ(store().CreateRollback("app", 1)->trigger, "releases:rollback 1 by ssh key alice");
}

TEST_F(StoreReleasesTest, RollbackToNumberCopiesImageAndFiles) {
  auto v1 = NewRelease("v1", "live");
  ASSERT_OK(v1);
  auto v2 = NewRelease("v2", "live");
  ASSERT_OK(v2);
  v1->status = "superseded";
  ASSERT_OK(store().UpdateRelease(*v1));
  clock_.Advance(60'000);
  auto rb = store().CreateRollback("app", 1);
  ASSERT_OK(rb);
  EXPECT_EQ(rb->number, 3);
  EXPECT_EQ(rb->status, "prepared");
  EXPECT_EQ(rb->rollback_of, v1->id);
  EXPECT_EQ(rb->tag, "v1");
  EXPECT_EQ(rb->image_ref, "dokku/app:v1");
  EXPECT_EQ(rb->image_id, v1->image_id);
  EXPECT_EQ(rb->procfile, v1->procfile);
  EXPECT_EQ(rb->checks, v1->checks);
  EXPECT_EQ(rb->proctypes, v1->proctypes);
  EXPECT_EQ(rb->dokku_scale, v1->dokku_scale);
  EXPECT_EQ(rb->error, "");
  EXPECT_EQ(rb->trigger, "releases:rollback 1");
  EXPECT_EQ(rb->created_at, clock_.NowSeconds());
  auto stored = store().GetRelease(rb->id);
  ASSERT_OK(stored);
  EXPECT_EQ(stored->status, "prepared");
  EXPECT_EQ(stored->image_id, v1->image_id);
  EXPECT_EQ(store().GetApp("app")->desired_release, rb->id);
  EXPECT_EQ(store().GetApp("app")->current_release, v2->id);
}

TEST_F(StoreReleasesTest, RollbackZeroPicksLastLiveBeforeCurrent) {
  // 1 superseded, 2 superseded, 3 failed, 4 live (current), 5 pending.
  ASSERT_OK(NewRelease("v1", "superseded"));
  auto v2 = NewRelease("v2", "superseded");
  ASSERT_OK(v2);
  ASSERT_OK(NewRelease("v3", "failed"));
  ASSERT_OK(NewRelease("v4", "live"));
  ASSERT_OK(store().CreateRelease("app", "v5", "tags:deploy"));
  auto rb = store().CreateRollback("app", 0);
  ASSERT_OK(rb);
  EXPECT_EQ(rb->rollback_of, v2->id);
  EXPECT_EQ(rb->tag, "v2");
  EXPECT_EQ(rb->number, 6);
}

TEST_F(StoreReleasesTest, RollbackRefusesReleasesThatNeverWentLive) {
  struct Case {
    const char* status;
    bool resolved;
  };
  for (const Case& c : {Case{"failed", true}, Case{"prepared", true}, Case{"rolling", true},
                        Case{"pending", false}}) {
    SCOPED_TRACE(c.status);
    auto r = store().CreateRelease("app", "latest", "tags:deploy");
    ASSERT_OK(r);
    if (c.resolved) ASSERT_OK(Resolve(*r, c.status));
    auto rb = store().CreateRollback("app", r->number);
    EXPECT_EQ(rb.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(rb.status().message(), "Release " + std::to_string(r->number) +
                                         " of app never went live (" + c.status +
                                         "); refusing to roll back to it");
  }
  EXPECT_EQ(store().ListReleases("app")->size(), 4u);
}

TEST_F(StoreReleasesTest, ReleasesOfOtherAppsAreNotVisible) {
  ASSERT_OK(store().CreateApp("other"));
  auto theirs = store().CreateRelease("other", "v1", "tags:deploy");
  ASSERT_OK(theirs);
  ASSERT_OK(Resolve(*theirs, "superseded"));
  auto rb = store().CreateRollback("app", 1);
  EXPECT_EQ(rb.status().message(), "Release 1 not found for app");
  auto rb0 = store().CreateRollback("app", 0);
  EXPECT_EQ(rb0.status().message(), "No earlier live release of app to roll back to");
}

// ---------------------------------------------------------------------------------------------
// tags and requests

TEST_F(StoreReleasesTest, TagOpsRoundTrip) {
  auto undeployed = store().RequestTagOp("app", "create", "keep");
  EXPECT_EQ(undeployed.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(undeployed.status().message(), "App app has not been deployed");
  auto latest = store().RequestTagOp("app", "destroy", "latest");
  EXPECT_EQ(latest.status().message(),
            "You can't remove internal dokku tag (latest) for dokku/app");
  auto live = NewRelease("v1", "live");
  ASSERT_OK(live);
  auto created = store().RequestTagOp("app", "create", "keep");
  ASSERT_OK(created);
  auto destroyed = store().RequestTagOp("app", "destroy", "old");
  ASSERT_OK(destroyed);
  auto pending = store().PendingTagOps("app");
  ASSERT_OK(pending);
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[0].id, *created);
  EXPECT_EQ((*pending)[0].op, "create");
  EXPECT_EQ((*pending)[0].tag, "keep");
  EXPECT_EQ((*pending)[0].image_id, live->image_id);  // the image running now
  EXPECT_EQ((*pending)[0].status, "pending");
  EXPECT_EQ((*pending)[1].op, "destroy");
  EXPECT_EQ((*pending)[1].image_id, "");
  ASSERT_OK(store().FinishTagOp(*created, true, ""));
  ASSERT_OK(store().FinishTagOp(*destroyed, false, "No such image: dokku/app:old"));
  EXPECT_TRUE(store().PendingTagOps("app")->empty());
  EXPECT_EQ(store().GetTagOp(*created)->status, "done");
  auto failed = store().GetTagOp(*destroyed);
  ASSERT_OK(failed);
  EXPECT_EQ(failed->status, "failed");
  EXPECT_EQ(failed->error, "No such image: dokku/app:old");
  EXPECT_EQ(store().GetTagOp(12345).status().code(), StatusCode::kNotFound);
}

TEST_F(StoreReleasesTest, RequestsRoundTrip) {
  auto id = store().CreateRequest("app", "checks:run", "web.1");
  ASSERT_OK(id);
  auto pending = store().PendingRequests("app");
  ASSERT_OK(pending);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].kind, "checks:run");
  EXPECT_EQ((*pending)[0].args, "web.1");
  EXPECT_EQ((*pending)[0].status, "pending");
  ASSERT_OK(store().FinishRequest(*id, false, "Invalid container index specified (app.web.1)"));
  EXPECT_TRUE(store().PendingRequests("app")->empty());
  auto done = store().GetRequest(*id);
  ASSERT_OK(done);
  EXPECT_EQ(done->status, "failed");
  EXPECT_EQ(done->result, "Invalid container index specified (app.web.1)");
  EXPECT_EQ(store().GetRequest(999).status().code(), StatusCode::kNotFound);
}

TEST_F(StoreReleasesTest, ImagesAreReplacedPerApp) {
  ASSERT_OK(store().ReplaceImages("app", {{"app", "latest", "sha256:a", 100, 10},
                                          {"app", "v1", "sha256:b", 200, 20},
                                          {"app", "keep", "sha256:a", 100, 10}}));
  ASSERT_OK(store().ReplaceImages("other", {{"other", "latest", "sha256:c", 1, 1}}));
  auto images = store().ListImages("app");
  ASSERT_OK(images);
  std::vector<std::string> tags;
  for (const ImageTag& t : *images) tags.push_back(t.tag);
  EXPECT_EQ(tags, (std::vector<std::string>{"v1", "keep", "latest"}));  // newest first, then tag
  EXPECT_EQ((*images)[0].image_id, "sha256:b");
  EXPECT_EQ((*images)[0].size, 20);
  ASSERT_OK(store().ReplaceImages("app", {}));
  EXPECT_TRUE(store().ListImages("app")->empty());
  EXPECT_EQ(store().ListImages("other")->size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// Observed state

TEST_F(StoreReleasesTest, ContainersRoundTrip) {
  clock_.Set(1'700'000'999'000);
  ObservedContainer web;
  web.id = "c1";
  web.name = "app.web.1";
  web.proctype = "web";
  web.index = 1;
  web.release_id = 7;
  web.state = "running";
  web.role = "live";
  web.ip = "172.17.0.2";
  web.port = 5000;
  web.host_port = 32768;
  web.restart_count = 2;
  web.started_at = 1'700'000'900;
  web.image_id = "sha256:abc";
  ObservedContainer next = web;
  next.id = "c2";
  next.name = "app.web.1.upcoming";
  next.role = "upcoming";
  next.release_id = std::nullopt;
  ObservedContainer worker = web;
  worker.id = "c3";
  worker.name = "app.worker.1";
  worker.proctype = "worker";
  worker.state = "missing";
  ASSERT_OK(store().ReplaceContainers("app", {worker, next, web}));
  ObservedContainer theirs = web;
  theirs.id = "c9";
  ASSERT_OK(store().ReplaceContainers("other", {theirs}));
  auto got = store().ListContainers("app");
  ASSERT_OK(got);
  ASSERT_EQ(got->size(), 3u);
  // Sorted by proctype, index, role.
  EXPECT_EQ((*got)[0].id, "c1");
  EXPECT_EQ((*got)[1].id, "c2");
  EXPECT_EQ((*got)[2].id, "c3");
  const ObservedContainer& c = (*got)[0];
  EXPECT_EQ(c.app, "app");
  EXPECT_EQ(c.name, "app.web.1");
  EXPECT_EQ(c.proctype, "web");
  EXPECT_EQ(c.index, 1);
  EXPECT_EQ(c.release_id, 7);
  EXPECT_EQ(c.state, "running");
  EXPECT_EQ(c.role, "live");
  EXPECT_EQ(c.ip, "172.17.0.2");
  EXPECT_EQ(c.port, 5000);
  EXPECT_EQ(c.host_port, 32768);
  EXPECT_EQ(c.restart_count, 2);
  EXPECT_EQ(c.started_at, 1'700'000'900);
  EXPECT_EQ(c.image_id, "sha256:abc");
  EXPECT_EQ(c.updated_at, 1'700'000'999'000);
  EXPECT_FALSE((*got)[1].release_id);
  EXPECT_EQ((*got)[1].role, "upcoming");
  EXPECT_EQ((*got)[2].state, "missing");
  // Replacing drops what is no longer there and leaves other apps alone.
  ASSERT_OK(store().ReplaceContainers("app", {web}));
  EXPECT_EQ(store().ListContainers("app")->size(), 1u);
  ASSERT_OK(store().ReplaceContainers("app", {}));
  EXPECT_TRUE(store().ListContainers("app")->empty());
  EXPECT_EQ(store().ListContainers("other")->size(), 1u);
}

TEST_F(StoreReleasesTest, SetObservedNeverMovesBackwards) {
  struct Step {
    int64_t generation;
    std::string error;
    int64_t want_generation;
    std::string want_error;
  };
  const Step steps[] = {
      {5, "", 5, ""},
      {3, "stale failure", 5, ""},
      {5, "checks failed", 5, "checks failed"},
      {4, "", 5, "checks failed"},
      {6, "", 6, ""},
  };
  for (const Step& s : steps) {
    SCOPED_TRACE(s.generation);
    ASSERT_OK(store().SetObserved("app", s.generation, s.error));
    auto app = store().GetApp("app");
    ASSERT_OK(app);
    EXPECT_EQ(app->observed_generation, s.want_generation);
    EXPECT_EQ(app->last_error, s.want_error);
  }
}

TEST_F(StoreReleasesTest, CurrentAndDesiredReleaseDoNotBump) {
  auto r = NewRelease("v1", "live");
  ASSERT_OK(r);
  const int64_t gen = store().GetApp("app")->generation;
  ASSERT_OK(store().SetDesiredRelease("app", std::nullopt));
  ASSERT_OK(store().SetCurrentRelease("app", std::nullopt));
  auto app = store().GetApp("app");
  EXPECT_FALSE(app->desired_release);
  EXPECT_FALSE(app->current_release);
  EXPECT_EQ(app->generation, gen);
  ASSERT_OK(store().SetDesiredRelease("app", r->id));
  EXPECT_EQ(store().GetApp("app")->desired_release, r->id);
}

TEST(StoreObserved, RetirementsSurviveReopening) {
  TempDir dir;
  FakeClock clock(5'000);
  const std::string path = dir.Join("dokku.db");
  {
    auto s = Store::Open(path, &clock);
    ASSERT_OK(s);
    ASSERT_OK((*s)->AddRetirement("late", "app", 90'000));
    ASSERT_OK((*s)->AddRetirement("early", "app", 65'000));
    ASSERT_OK((*s)->AddRetirement("gone", "other", 70'000));
    ASSERT_OK((*s)->AddRetirement("early", "app", 1));  // already recorded: kept as it was
    ASSERT_OK((*s)->RemoveRetirement("gone"));
    ASSERT_OK((*s)->RemoveRetirement("never-added"));
  }
  auto s = Store::Open(path, &clock);
  ASSERT_OK(s);
  auto list = (*s)->ListRetirements();
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].container_id, "early");
  EXPECT_EQ((*list)[0].app, "app");
  EXPECT_EQ((*list)[0].retire_at, 65'000);
  EXPECT_EQ((*list)[0].created_at, 5'000);
  EXPECT_EQ((*list)[1].container_id, "late");
}

TEST_F(StoreReleasesTest, EventsAfter) {
  EXPECT_EQ(*store().LastEventId(), 0);
  clock_.Set(1'000);
  ASSERT_OK(store().AppendEvent("app", "info1", "Deploying app"));
  clock_.Set(2'000);
  ASSERT_OK(store().AppendEvent("other", "info1", "Deploying other"));
  ASSERT_OK(store().AppendEvent("app", "verbose", "Attempt 1/5"));
  ASSERT_OK(store().AppendEvent("app", "error", "Could not start"));
  auto all = store().EventsAfter("app", 0);
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].text, "Deploying app");
  EXPECT_EQ((*all)[0].level, "info1");
  EXPECT_EQ((*all)[0].time, 1'000);
  EXPECT_EQ((*all)[0].app, "app");
  EXPECT_EQ((*all)[2].level, "error");
  EXPECT_EQ((*all)[2].time, 2'000);
  auto tail = store().EventsAfter("app", (*all)[0].id);
  ASSERT_OK(tail);
  ASSERT_EQ(tail->size(), 2u);
  EXPECT_EQ((*tail)[0].text, "Attempt 1/5");
  EXPECT_TRUE(store().EventsAfter("app", (*all)[2].id)->empty());
  EXPECT_EQ(*store().LastEventId(), (*all)[2].id);
}

TEST_F(StoreReleasesTest, ChangesAfter) {
  auto start = store().LastChangeSeq();
  ASSERT_OK(start);
  ASSERT_OK(store().CreateApp("b"));
  ASSERT_OK(store().SetScale("app", {{"web", 2}}, false));
  ASSERT_OK(store().Restart("b", ""));
  auto changes = store().ChangesAfter(*start);
  ASSERT_OK(changes);
  ASSERT_EQ(changes->size(), 3u);
  EXPECT_EQ((*changes)[0].second, "b");
  EXPECT_EQ((*changes)[1].second, "app");
  EXPECT_EQ((*changes)[2].second, "b");
  EXPECT_LT((*changes)[0].first, (*changes)[1].first);
  EXPECT_LT((*changes)[1].first, (*changes)[2].first);
  EXPECT_EQ(*store().LastChangeSeq(), (*changes)[2].first);
  auto tail = store().ChangesAfter((*changes)[1].first);
  ASSERT_OK(tail);
  ASSERT_EQ(tail->size(), 1u);
  EXPECT_EQ((*tail)[0].second, "b");
  EXPECT_TRUE(store().ChangesAfter((*changes)[2].first)->empty());
}

TEST_F(StoreReleasesTest, HeartbeatAge) {
  auto none = store().HeartbeatAgeMs();
  ASSERT_OK(none);
  EXPECT_FALSE(*none);
  clock_.Set(10'000);
  ASSERT_OK(store().Heartbeat(42, "0.1.0", 9'000));
  clock_.Advance(1'500);
  EXPECT_EQ(*store().HeartbeatAgeMs(), 1'500);
  ASSERT_OK(store().Heartbeat(43, "0.1.1", 11'000));
  EXPECT_EQ(*store().HeartbeatAgeMs(), 0);
  EXPECT_EQ(store().db().execAndGet("SELECT COUNT(*) FROM daemon").getInt(), 1);
  EXPECT_EQ(store().db().execAndGet("SELECT pid FROM daemon").getInt(), 43);
}

TEST(StoreObserved, DataVersionMovesOnOtherConnectionsCommits) {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.Join("dokku.db");
  auto reader = Store::Open(path, &clock);
  ASSERT_OK(reader);
  auto writer = Store::Open(path, &clock);
  ASSERT_OK(writer);
  auto v0 = (*reader)->DataVersion();
  ASSERT_OK(v0);
  EXPECT_EQ(*(*reader)->DataVersion(), *v0);
  ASSERT_OK((*writer)->CreateApp("app"));
  auto v1 = (*reader)->DataVersion();
  ASSERT_OK(v1);
  EXPECT_NE(*v1, *v0);
}

}  // namespace
}  // namespace dokku
