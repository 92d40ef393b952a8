// ssh-keys: key parsing and fingerprints, authorized_keys lines, SSH_ORIGINAL_COMMAND splitting,
// and ssh-keys:add/list/remove and `dokku --ssh` through RunCli.
#include "store/ssh_keys.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/ssh_command.h"
#include "store/text.h"
#include "tests/testing/cli_harness.h"

namespace dokku {
namespace {

// Public keys made with ssh-keygen; fingerprints as `ssh-keygen -lf` prints them.
const std::string kEd25519 =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJPom8ZccwiJSDDFpjNwtgBjwKO/gToPctlnwRmT1EgF alice@laptop";
const std::string kEd25519Fp = "SHA256:qQO36fay6MeVM/NKiZSit6hBxBo0TJfbt4uwfxwxOao";
const std::string kEcdsa =
    "ecdsa-sha2-nistp256 "
    "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBNcf8N1/pv3S+v8EuSpob+5Bns9NRotEYT676emFx"
    "irCE2W6kSKqab9j9UL5VHk1LCNO5tRmfI8rID20y6dqvh4=";
const std::string kEcdsaFp = "SHA256:3H85996lZOuhahVJYxM/7ozIMW72Sd2/Gf5+TftdO/c";

std::string Hex(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes)
    out += "0123456789abcdef"[c >> 4], out += "0123456789abcdef"[c & 15];
  return out;
}

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Hex(Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Hex(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Hex(Sha256(std::string(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Base64Test, EncodeRoundTrips) {
  EXPECT_EQ(EncodeBase64("", true), "");
  EXPECT_EQ(EncodeBase64("f", true), "Zg==");
  EXPECT_EQ(EncodeBase64("fo", false), "Zm8");
  EXPECT_EQ(EncodeBase64("foobar", true), "Zm9vYmFy");
}

TEST(SshPublicKeyTest, ParsesAndFingerprints) {
  StatusOr<SshPublicKey> k = ParseSshPublicKey(kEd25519);
  ASSERT_TRUE(k.ok()) << k.status().message();
  EXPECT_EQ(k->type, "ssh-ed25519");
  EXPECT_EQ(k->comment, "alice@laptop");
  EXPECT_EQ(k->fingerprint, kEd25519Fp);
  EXPECT_EQ(k->Line(), kEd25519);
  k = ParseSshPublicKey("  " + kEcdsa + " \t");
  ASSERT_TRUE(k.ok()) << k.status().message();
  EXPECT_EQ(k->fingerprint, kEcdsaFp);
  EXPECT_EQ(k->comment, "");
}

TEST(SshPublicKeyTest, RefusesBadKeys) {
  const std::string blob = kEd25519.substr(12, 68);
  const std::string cases[] = {
      "",
      "ssh-ed25519",
      "ssh-foo " + blob,
      "ssh-rsa " + blob,  // embedded type is ssh-ed25519
      "ssh-ed25519 !!!!",
      "ssh-ed25519 " + blob.substr(0, 10),
      "ssh-ed25519 " + blob + " bad\x01comment",
      "ssh-ed25519 " + blob + " \xff\xfe",
      "ssh-ed25519 " + blob + " a\"b\nssh-rsa x",
      "command=\"x\" " + kEd25519,
      "ssh-ed25519 " + blob + " " + std::string(20000, 'c'),
  };
  for (const std::string& c : cases) EXPECT_FALSE(ParseSshPublicKey(c).ok()) << c;
}

TEST(SshKeyNameTest, Charset) {
  for (const char* ok : {"alice", "a.b_c-d@host", "A9"}) EXPECT_TRUE(ValidateSshKeyName(ok).ok());
  for (const char* bad : {"", "-x", "a b", "a\"b", "a\\b", "a$b", "a`b", "../x", "a/b"}) {
    EXPECT_FALSE(ValidateSshKeyName(bad).ok()) << bad;
  }
  EXPECT_FALSE(ValidateSshKeyName(std::string(65, 'a')).ok());
}

TEST(AuthorizedKeysTest, LineFormat) {
  EXPECT_EQ(AuthorizedKeysLine({"alice", kEd25519Fp, kEd25519}, SshCommandTarget{}),
            "command=\"NAME=\\\"alice\\\" FINGERPRINT=\\\"" + kEd25519Fp +
                "\\\" /usr/bin/dokku --ssh\",restrict " + kEd25519);
  EXPECT_EQ(AuthorizedKeysContent({}, SshCommandTarget{}), "");
}

TEST(AuthorizedKeysTest, TheInstallFileNamesTheBinaryAndStateDir) {
  StatusOr<SshCommandTarget> t = ParseSshCommandFile(
      "# by scripts/install\nDOKKU_BIN=/opt/d/bin/dokku\n\nDOKKU_LIB_ROOT=/srv/x\n");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->dokku_bin, "/opt/d/bin/dokku");
  EXPECT_EQ(AuthorizedKeysLine({"bob", kEd25519Fp, kEd25519}, *t),
            "command=\"NAME=\\\"bob\\\" FINGERPRINT=\\\"" + kEd25519Fp +
                "\\\" DOKKU_LIB_ROOT=\\\"/srv/x\\\" /opt/d/bin/dokku --ssh\",restrict " + kEd25519);
  EXPECT_EQ(ParseSshCommandFile("").value().dokku_bin, "/usr/bin/dokku");
  for (const char* bad :
       {"DOKKU_BIN=dokku", "DOKKU_BIN=/a b", "DOKKU_LIB_ROOT=/x\"; sh", "DOKKU_BIN=/x/../sh",
        "DOKKU_BIN=/x$(id)", "SHELL=/bin/sh", "DOKKU_BIN="}) {
    EXPECT_FALSE(ParseSshCommandFile(bad).ok()) << bad;
  }
}

struct SplitCase {
  std::string in;
  std::vector<std::string> words;  // ignored when !ok
  bool ok = true;
};

TEST(SshCommandTest, Splits) {
  const SplitCase cases[] = {
      {"", {}},
      {"  \t ", {}},
      {"apps:list", {"apps:list"}},
      {"--quiet  apps:list", {"--quiet", "apps:list"}},
      {"-- --quiet apps:list", {"--", "--quiet", "apps:list"}},
      {"config:set app 'A=b c' \"D=e f\"", {"config:set", "app", "A=b c", "D=e f"}},
      {"config:set app K='it''s'", {"config:set", "app", "K=its"}},
      {"x \"a\\b\"", {"x", "a\\b"}},  // backslash is literal inside quotes (xargs)
      {"x a\\ b", {"x", "a b"}},
      {"x a\\;b", {"x", "a;b"}},
      {"x 'a;b|c$(d)*'", {"x", "a;b|c$(d)*"}},
      {"x ''", {"x", ""}},
      {"ps:stop ../etc", {"ps:stop", "../etc"}},
      {"config:set app K=a#b", {"config:set", "app", "K=a#b"}},
      {"apps:list; rm -rf /", {}, false},
      {"apps:list && id", {}, false},
      {"run app $(id)", {}, false},
      {"run app `id`", {}, false},
      {"run app >/tmp/x", {}, false},
      {"ps:stop *", {}, false},
      {"ps:stop ~root", {}, false},
      {"apps:list #comment", {}, false},
      {"x 'unterminated", {}, false},
      {"x \"unterminated", {}, false},
      {"x trailing\\", {}, false},
      {std::string("x a\0b", 5), {}, false},
      {"x \xff", {}, false},
      {"x \xc0\xaf", {}, false},  // overlong '/'
      {"apps:list " + std::string(kMaxSshCommandBytes, 'a'), {}, false},
  };
  for (const SplitCase& c : cases) {
    StatusOr<std::vector<std::string>> words = ParseSshCommand(c.in);
    EXPECT_EQ(words.ok(), c.ok) << c.in.substr(0, 80);
    if (words.ok() && c.ok) {
      EXPECT_EQ(*words, c.words) << c.in;
    }
  }
  EXPECT_TRUE(ParseSshCommand("x " + std::string(kMaxSshCommandBytes - 2, 'a')).ok());
}

class SshKeysCliTest : public ::testing::Test {
 protected:
  std::string root() const { return cli_.state_dir() + "/home"; }
  std::string authorized() const { return root() + "/.ssh/authorized_keys"; }
  std::map<std::string, std::string> Env() const { return {{"DOKKU_ROOT", root()}}; }
  testing::CliResult Run(const std::vector<std::string>& args, const std::string& in = "") {
    return cli_.Run(args, in, Env());
  }
  std::string Authorized() const {
    std::ifstream f(authorized());
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }
  void SetUp() override { std::filesystem::create_directories(root()); }
  testing::CliHarness cli_;
};

TEST_F(SshKeysCliTest, AddListRemove) {
  testing::CliResult r = Run({"ssh-keys:add", "alice"}, kEd25519 + "\n");
  ASSERT_EQ(r.rc, 0) << r.Describe();
  EXPECT_EQ(r.out, kEd25519Fp + "\n");
  const std::string file = cli_.state_dir() + "/b.pub";
  std::ofstream(file) << kEcdsa << "\n";
  r = Run({"ssh-keys:add", "bob", file});
  ASSERT_EQ(r.rc, 0) << r.Describe();
  EXPECT_EQ(Authorized(),
            AuthorizedKeysLine({"alice", kEd25519Fp, kEd25519}, SshCommandTarget{}) + "\n" +
                AuthorizedKeysLine({"bob", kEcdsaFp, kEcdsa}, SshCommandTarget{}) + "\n");
  struct stat st {};
  ASSERT_EQ(::stat(authorized().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  r = Run({"ssh-keys:list"});
  EXPECT_EQ(r.rc, 0) << r.Describe();
  EXPECT_EQ(r.out, kEd25519Fp + " NAME=\"alice\" SSHCOMMAND_ALLOWED_KEYS=\"restrict\"\n" +
                       kEcdsaFp + " NAME=\"bob\" SSHCOMMAND_ALLOWED_KEYS=\"restrict\"\n");
  r = Run({"ssh-keys:list", "--format", "json", "bob"});
  EXPECT_EQ(r.out, "[{\"SSHCOMMAND_ALLOWED_KEYS\":\"restrict\",\"fingerprint\":\"" + kEcdsaFp +
                       "\",\"name\":\"bob\",\"public-key\":\"" + kEcdsa + "\"}]\n");
  EXPECT_EQ(Run({"ssh-keys:list", "carol"}).rc, 1);
  EXPECT_EQ(Run({"ssh-keys:list", "--format", "yaml"}).err,
            " !     Invalid output format specified, supported formats: json, text\n");

  EXPECT_EQ(Run({"ssh-keys:remove", "alice"}).rc, 0);
  EXPECT_EQ(Run({"ssh-keys:remove", "nobody"}).rc, 0);
  EXPECT_EQ(Authorized(), AuthorizedKeysLine({"bob", kEcdsaFp, kEcdsa}, SshCommandTarget{}) + "\n");
  r = Run({"ssh-keys:remove", "--fingerprint", kEcdsaFp});
  EXPECT_EQ(r.rc, 0) << r.Describe();
  EXPECT_EQ(Authorized(), "");
  r = Run({"ssh-keys:remove", "bob"});
  EXPECT_EQ(r.err, " !     No public keys found.\n");
  EXPECT_EQ(Run({"ssh-keys:list"}).err, " !     authorized_keys is empty for dokku\n");
}

TEST_F(SshKeysCliTest, FollowsTheInstallFileAndABrokenOneChangesNothing) {
  std::ofstream(root() + "/.sshcommand") << "DOKKU_BIN=/opt/d/dokku\nDOKKU_LIB_ROOT=/srv/s\n";
  ASSERT_EQ(Run({"ssh-keys:add", "alice"}, kEd25519).rc, 0);
  const std::string before = Authorized();
  EXPECT_EQ(before, AuthorizedKeysLine({"alice", kEd25519Fp, kEd25519},
                                       SshCommandTarget{"/opt/d/dokku", "/srv/s"}) +
                        "\n");
  std::ofstream(root() + "/.sshcommand") << "DOKKU_BIN=/opt/d/dokku; sh\n";
  testing::CliResult r = Run({"ssh-keys:add", "bob"}, kEcdsa);
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find(".sshcommand: DOKKU_BIN must be an absolute path"), std::string::npos)
      << r.err;
  EXPECT_EQ(Authorized(), before);
  EXPECT_EQ(Run({"ssh-keys:list", "bob"}).rc, 1) << "the store change was rolled back";
}

TEST_F(SshKeysCliTest, AddRefusals) {
  ASSERT_EQ(Run({"ssh-keys:add", "alice"}, kEd25519).rc, 0);
  const std::string before = Authorized();
  struct Case {
    std::vector<std::string> args;
    std::string in, err;
  };
  const Case cases[] = {
      {{"ssh-keys:add", "alice"}, kEcdsa, " !     Duplicate ssh key name\n"},
      {{"ssh-keys:add", "bob"}, kEd25519, " !     Duplicate ssh public key specified\n"},
      {{"ssh-keys:add", "bob"}, "\n", " !     Empty key was specified\n"},
      {{"ssh-keys:add", "bob"},
       kEcdsa + "\n" + kEd25519 + "\n",
       " !     Too many keys provided, set one per invocation of dokku ssh-keys:add <NAME> "
       "<KEY_FILE>\n"},
      {{"ssh-keys:add", "bob"},
       "ssh-rsa AAAA",
       " !     Invalid ssh public key: the key data is not a ssh-rsa\n !     Key specified in is "
       "not "
       "a valid ssh public key\n"},
      {{"ssh-keys:add", "b\"ob"},
       kEcdsa,
       " !     Invalid ssh key name, use 1 to 64 characters of [A-Za-z0-9._@-], not starting with "
       "'-'\n"},
  };
  for (const Case& c : cases) {
    testing::CliResult r = Run(c.args, c.in);
    EXPECT_EQ(r.rc, 1) << r.Describe();
    EXPECT_EQ(r.err, c.err) << r.Describe();
  }
  EXPECT_EQ(Authorized(), before);
}

TEST_F(SshKeysCliTest, RootOnly) {
  cli_.SetEffectiveUid(1000);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"ssh-keys:add", "alice"}, {"ssh-keys:remove", "alice"}}) {
    testing::CliResult r = Run(args, kEd25519);
    EXPECT_EQ(r.rc, 1);
    EXPECT_EQ(r.err, " !     This command must be run as root\n");
  }
  EXPECT_FALSE(std::filesystem::exists(authorized()));
}

TEST_F(SshKeysCliTest, FailedWriteChangesNothing) {
  // authorized_keys is a directory: the rename fails, the store change is rolled back.
  std::filesystem::create_directories(authorized());
  testing::CliResult r = Run({"ssh-keys:add", "alice"}, kEd25519);
  EXPECT_EQ(r.rc, 1) << r.Describe();
  EXPECT_TRUE(std::filesystem::is_directory(authorized()));
  EXPECT_FALSE(std::filesystem::exists(authorized() + ".tmp"));
  EXPECT_EQ(Run({"ssh-keys:list"}).rc, 1);
  std::filesystem::remove(authorized());
  EXPECT_EQ(Run({"ssh-keys:add", "alice"}, kEd25519).rc, 0);
}

TEST_F(SshKeysCliTest, ForcedCommand) {
  auto ssh = [&](const std::string& command, std::map<std::string, std::string> env = {}) {
    env["DOKKU_ROOT"] = root();
    env["SSH_ORIGINAL_COMMAND"] = command;
    return cli_.Run({"--ssh"}, "", env);
  };
  ASSERT_EQ(ssh("apps:create 'web1'").rc, 0);
  // `ssh dokku@host -- --quiet apps:list`: the ssh client eats the `--`.
  testing::CliResult r = ssh("--quiet apps:list");
  EXPECT_EQ(r.rc, 0) << r.Describe();
  EXPECT_EQ(r.out, "web1\n");
  // A `--` that does arrive is the dispatcher's: not a command, as from a local shell.
  r = ssh("-- apps:list");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("`--` is not a dokku command."), std::string::npos) << r.Describe();
  r = ssh("apps:list; id");
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err,
            " !     Shell metacharacter `;` is not allowed outside quotes in a command over ssh\n");
  r = ssh("ps:stop '../web1'");
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.Describe();
  EXPECT_EQ(ssh("--ssh").rc, 1);  // not a dokku command over ssh
  EXPECT_EQ(ssh(std::string(kMaxSshCommandBytes + 1, 'a')).rc, 1);
  r = ssh("");
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(r.out.find("Usage: dokku"), std::string::npos) << r.Describe();
}

}  // namespace
}  // namespace dokku
