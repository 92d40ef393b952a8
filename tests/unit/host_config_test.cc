// The pure rules of storage and resource: mount specs, protected host paths, sizes, CPUs,
// precedence of process-type values over app-wide ones, and SHA-1 entry names.
#include "store/host_config.h"

#include <gtest/gtest.h>

#include "tests/testing/testutil.h"

namespace dokku {
namespace {

constexpr const char kTwoPaths[] = "Storage path must be two valid paths divided by colon.";
constexpr const char kBadVolume[] =
    "Volume name must be two characters or more. Volume name must not contain invalid "
    "characters. Storage path must be two valid paths divided by colon.";

TEST(ParseMountSpecTest, Table) {
  struct Case {
    const char* spec;
    const char* error;  // "" = valid
    const char* normalized;
  };
  const Case cases[] = {
      {"/var/data:/data", "", "/var/data:/data"},
      {"/var/data:/data:ro", "", "/var/data:/data:ro"},
      {"/var/data:/data:rshared,ro", "", "/var/data:/data:ro,rshared"},
      {"myvol:/data", "", "myvol:/data"},
      {"myvol:/data:nocopy", "", "myvol:/data:nocopy"},
      {"/var/data", kTwoPaths, ""},
      {"/var/data:data", kTwoPaths, ""},
      {"/var/data:", kTwoPaths, ""},
      {"/a:/b:ro:x", kTwoPaths, ""},
      {"", kBadVolume, ""},
      {"v:/data", kBadVolume, ""},
      {"-vol:/data", kBadVolume, ""},
      {"my vol:/data", kBadVolume, ""},
      {"relative/dir:/data", kBadVolume, ""},
      {"/var/../etc:/data", "Host path must be absolute and may not contain '..'", ""},
      {"/var/data:/", "Container path must be absolute, not '/', and without '..'", ""},
      {"/var/data:/app/../etc", "Container path must be absolute, not '/', and without '..'", ""},
      {"/var/data:/data:z",
       "Unsupported mount option 'z': use ro, rw, private, rprivate, shared, rshared, slave or "
       "rslave",
       ""},
      {"myvol:/data:rshared", "Unsupported mount option 'rshared': use ro, rw, nocopy", ""},
  };
  for (const Case& c : cases) {
    StatusOr<StorageMount> m = ParseMountSpec(c.spec);
    if (*c.error) {
      EXPECT_EQ(m.status().message(), c.error) << c.spec;
    } else {
      ASSERT_OK(m);
      EXPECT_EQ(m->Spec(), c.normalized) << c.spec;
      EXPECT_EQ(m->phases, "deploy,run");
      EXPECT_EQ(m->process_type, "_default_");
    }
  }
}

TEST(ParseMountSpecTest, ReadOnlyAndVolumeOptions) {
  StatusOr<StorageMount> m = ParseMountSpec("/a:/b:rslave,ro");
  ASSERT_OK(m);
  EXPECT_TRUE(m->ReadOnly());
  EXPECT_EQ(m->VolumeOptions(), "rslave");
  EXPECT_FALSE(m->IsVolume());
  EXPECT_TRUE(ParseMountSpec("data-1:/b")->IsVolume());
}

TEST(CheckHostPathAllowedTest, Table) {
  struct Case {
    const char* path;
    bool allowed;
  };
  const Case cases[] = {
      {"/srv/app-data", true},
      {"/var/lib/dokku-other", true},
      {"/var/run/docker", true},
      {"myvol", true},
      {"/", false},
      {"//", false},
      {"/var/lib/dokku", false},
      {"/var/lib/dokku/", false},
      {"/var/lib/dokku/data", false},
      {"/var//lib/./dokku", false},
      {"/var", false},
      {"/var/run/docker.sock", false},
      {"/var/run", false},
      {"/var/lib/dokku/data/storage/uploads", true},  // storage:ensure-directory's place
      {"/var/lib/dokku/data/storage/a/b", true},
      {"/var/lib/dokku/data/storage", false},
      {"/var/lib/dokku/data/storage/", false},
      {"/var/lib/dokku/data/other/x", false},
  };
  for (const Case& c : cases) {
    Status st = CheckHostPathAllowed(c.path, "/var/lib/dokku");
    EXPECT_EQ(st.ok(), c.allowed) << c.path << ": " << st.message();
  }
  EXPECT_EQ(CheckHostPathAllowed("/var/lib/dokku/data", "/var/lib/dokku").message(),
            "Refusing to mount /var/lib/dokku/data: it exposes dokku's state directory "
            "/var/lib/dokku; use --force to mount it anyway");
  EXPECT_TRUE(CheckHostPathAllowed("/var/lib/dokku", "/tmp/state").ok());
}

TEST(ParseChownOptionTest, Table) {
  EXPECT_EQ(*ParseChownOption("herokuish"), 32767);
  EXPECT_EQ(*ParseChownOption("heroku"), 1000);
  EXPECT_EQ(*ParseChownOption("paketo"), 2000);
  EXPECT_EQ(*ParseChownOption("packeto"), 2000);
  EXPECT_EQ(*ParseChownOption("root"), 0);
  EXPECT_EQ(*ParseChownOption("65535"), 65535);
  EXPECT_FALSE(ParseChownOption("false")->has_value());
  for (const char* bad : {"65536", "-1", "nobody", "", "1.5"}) {
    EXPECT_EQ(ParseChownOption(bad).status().message(), "Unsupported chown permissions") << bad;
  }
}

TEST(Sha1HexTest, KnownVectors) {
  EXPECT_EQ(Sha1Hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(Sha1Hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(Sha1Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(Sha1Hex(std::string(1000000, 'a')), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  StorageMount m;
  m.host_path = "abc";  // a volume: hashed as "vol:abc"
  EXPECT_EQ(m.EntryName(), "legacy-" + Sha1Hex("vol:abc").substr(0, 10));
}

TEST(ParseByteSizeTest, Table) {
  struct Case {
    const char* text;
    int64_t unit;
    int64_t bytes;  // -2 = invalid
  };
  const Case cases[] = {
      {"64m", 1, 64LL << 20},
      {"64", 1LL << 20, 64LL << 20},
      {"64", 1, 64},
      {"1g", 1, 1LL << 30},
      {"1G", 1, 1LL << 30},
      {"512MB", 1, 512LL << 20},
      {"512mb", 1, 512LL << 20},
      {"100k", 1, 100LL << 10},
      {"100KB", 1, 100LL << 10},
      {"2t", 1, 2LL << 40},
      {"10b", 1, 10},
      {"10B", 1LL << 20, 10},
      {"", 1, -2},
      {"m", 1, -2},
      {"1.5g", 1, -2},
      {"-1", 1, -2},
      {"64x", 1, -2},
      {"64 m", 1, -2},
      {"64mm", 1, -2},
      {"64bb", 1, -2},
      {"9999999999999999", 1, -2},
      {"999999999999999t", 1, -2},
  };
  for (const Case& c : cases) {
    StatusOr<int64_t> v = ParseByteSize(c.text, c.unit);
    if (c.bytes == -2) {
      EXPECT_FALSE(v.ok()) << c.text;
    } else {
      ASSERT_OK(v);
      EXPECT_EQ(*v, c.bytes) << c.text;
    }
  }
}

TEST(ParseNanoCpusTest, Table) {
  struct Case {
    const char* text;
    int64_t nanos;  // 0 = invalid
  };
  const Case cases[] = {
      {"1", 1'000'000'000},
      {"0.5", 500'000'000},
      {"1.25", 1'250'000'000},
      {"2.000000001", 2'000'000'001},
      {"0", 0},
      {"0.0", 0},
      {"", 0},
      {"-1", 0},
      {"1.", 0},
      {".5", 0},
      {"1.2.3", 0},
      {"1e3", 0},
      {"1.0000000001", 0},
      {"abc", 0},
  };
  for (const Case& c : cases) {
    StatusOr<int64_t> v = ParseNanoCpus(c.text);
    if (c.nanos == 0) {
      EXPECT_FALSE(v.ok()) << c.text;
    } else {
      ASSERT_OK(v);
      EXPECT_EQ(*v, c.nanos) << c.text;
    }
  }
}

TEST(ValidateResourceValueTest, Table) {
  struct Case {
    const char* key;
    const char* value;
    bool ok;
  };
  const Case cases[] = {
      {"memory", "64m", true},
      {"memory", "100", true},
      {"memory", "clear", true},
      {"memory", "lots", false},
      {"memory", "", false},
      {"memory", "-1", false},
      {"memory-swap", "-1", true},
      {"memory-swap", "1g", true},
      {"memory-swap", "x", false},
      {"cpu", "1.5", true},
      {"cpu", "0", false},
      {"cpu", "100%", false},
      {"nvidia-gpu", "all", true},
      {"nvidia-gpu", "2", true},
      {"nvidia-gpu", "0", false},
      {"network", "anything", true},
      {"network-ingress", "1g", true},
      {"network-egress", "x", true},
      {"disk", "1g", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ValidateResourceValue(c.key, c.value).ok(), c.ok) << c.key << "=" << c.value;
  }
  EXPECT_EQ(ValidateResourceValue("memory", "lots").message(),
            "Invalid --memory value 'lots': Invalid size 'lots'");
}

TEST(EffectiveResourcesTest, ProcessTypeOverridesDefaultKeyByKey) {
  const std::vector<ResourceSetting> settings = {
      {"_default_", "limit", "memory", "256"},   {"_default_", "limit", "cpu", "2"},
      {"_default_", "reserve", "memory", "64m"}, {"web", "limit", "memory", "1g"},
      {"web", "limit", "memory-swap", "-1"},     {"worker", "limit", "nvidia-gpu", "all"},
      {"_default_", "limit", "network", "1g"},  // stored, not applied by docker-local
      {"_default_", "reserve", "cpu", "1"},     // ditto
  };
  struct Case {
    const char* proctype;
    ContainerResources want;
  };
  const Case cases[] = {
      {"web", {1LL << 30, -1, 64LL << 20, 2'000'000'000, 0}},
      {"worker", {256LL << 20, 0, 64LL << 20, 2'000'000'000, -1}},
      {"clock", {256LL << 20, 0, 64LL << 20, 2'000'000'000, 0}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(EffectiveResources(settings, c.proctype), c.want) << c.proctype;
  }
  EXPECT_EQ(EffectiveResources({}, "web"), ContainerResources{});
}

TEST(ValidateEffectiveResourcesTest, DockersCrossFieldRules) {
  struct Case {
    std::vector<ResourceSetting> settings;
    const char* error;  // "" = valid
  };
  const Case cases[] = {
      {{}, ""},
      {{{"_default_", "limit", "memory", "64m"}, {"_default_", "limit", "memory-swap", "128m"}},
       ""},
      {{{"_default_", "limit", "memory", "64m"}, {"_default_", "limit", "memory-swap", "-1"}}, ""},
      {{{"_default_", "limit", "memory-swap", "128m"}},
       "--memory-swap needs a --memory limit too (for the app)"},
      {{{"_default_", "limit", "memory", "64m"}, {"web", "limit", "memory-swap", "32m"}},
       "--memory-swap must be at least --memory, or -1 for unlimited (for process type web)"},
      {{{"_default_", "limit", "memory", "64m"}, {"web", "reserve", "memory", "128m"}},
       "The memory reservation must not exceed the --memory limit (for process type web)"},
      {{{"_default_", "reserve", "memory", "128m"}}, ""},  // no limit: nothing to exceed
  };
  for (const Case& c : cases) {
    Status st = ValidateEffectiveResources(c.settings);
    EXPECT_EQ(st.message(), c.error);
  }
}

}  // namespace
}  // namespace dokku
