// app.json parsing (spec/dokku-next.md §2): the schema, defaults, JSONC and the error messages.
#include "controller/model/app_json.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/testing/testutil.h"

namespace dokku {
namespace {

std::string ErrorOf(std::string_view text) {
  StatusOr<AppJson> parsed = ParseAppJson(text);
  EXPECT_FALSE(parsed.ok()) << "expected an error for: " << text;
  if (parsed.ok()) return "";
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  return parsed.status().message();
}

// One healthcheck entry under healthchecks.web.
std::string WebCheck(std::string_view fields) {
  return "{\"healthchecks\": {\"web\": [{" + std::string(fields) + "}]}}";
}

std::string FormationOf(std::string_view fields) {
  return "{\"formation\": {\"worker\": {" + std::string(fields) + "}}}";
}

TEST(AppJsonTest, ParsesAFullExample) {
  StatusOr<AppJson> parsed = ParseAppJson(R"({
    "name": "my-app",
    "healthchecks": {
      "web": [
        {"type": "startup", "name": "web check", "path": "/health", "content": "ok",
         "scheme": "https", "port": 8080, "attempts": 10, "wait": 2, "timeout": 7,
         "initialDelay": 3, "warn": true,
         "httpHeaders": [{"name": "Host", "value": "example.com"}, {"name": "X-A", "value": ""}]},
        {"type": "liveness", "name": "alive", "command": ["/bin/check", "--fast"]},
        {"type": "readiness", "name": "ready", "uptime": 15}
      ],
      "worker": [{"type": "startup", "name": "listen", "listening": true}]
    },
    "formation": {"web": {"quantity": 2, "max_parallel": 3}, "worker": {"quantity": 0}},
    "scripts": {"dokku": {"predeploy": "rake db:migrate", "postdeploy": "echo done"},
                "postdeploy": "bin/seed"},
    "env": {"SECRET": {"generator": "secret"}}
  })");
  ASSERT_OK(parsed);

  HealthCheck path;
  path.type = HealthCheckType::kStartup;
  path.kind = HealthCheckKind::kPath;
  path.name = "web check";
  path.path = "/health";
  path.content = "ok";
  path.scheme = "https";
  path.headers = {{"Host", "example.com"}, {"X-A", ""}};
  path.port = 8080;
  path.attempts = 10;
  path.wait = 2;
  path.timeout = 7;
  path.initial_delay = 3;
  path.warn = true;
  HealthCheck command;
  command.type = HealthCheckType::kLiveness;
  command.kind = HealthCheckKind::kCommand;
  command.name = "alive";
  command.command = {"/bin/check", "--fast"};
  HealthCheck uptime;
  uptime.type = HealthCheckType::kReadiness;
  uptime.kind = HealthCheckKind::kUptime;
  uptime.name = "ready";
  uptime.uptime = 15;
  HealthCheck listening;
  listening.kind = HealthCheckKind::kListening;
  listening.name = "listen";

  AppJson want;
  want.healthchecks = {{"web", {path, command, uptime}}, {"worker", {listening}}};
  want.formation = {{"web", {2, 3}}, {"worker", {0, std::nullopt}}};
  want.predeploy = "rake db:migrate";
  want.postdeploy = "echo done";
  want.heroku_postdeploy = "bin/seed";
  EXPECT_EQ(*parsed, want);
}

TEST(AppJsonTest, DefaultsForAMinimalEntry) {
  StatusOr<AppJson> parsed = ParseAppJson(WebCheck(R"("type": "startup")"));
  ASSERT_OK(parsed);
  ASSERT_EQ(parsed->healthchecks.count("web"), 1u);
  ASSERT_EQ(parsed->healthchecks.at("web").size(), 1u);
  const HealthCheck& check = parsed->healthchecks.at("web")[0];
  EXPECT_EQ(check.type, HealthCheckType::kStartup);
  EXPECT_EQ(check.kind, HealthCheckKind::kUptime);
  EXPECT_EQ(check.name, "web-startup-0");
  EXPECT_EQ(check.path, "/");
  EXPECT_EQ(check.content, "");
  EXPECT_EQ(check.scheme, "http");
  EXPECT_TRUE(check.headers.empty());
  EXPECT_TRUE(check.command.empty());
  EXPECT_EQ(check.uptime, 0);
  EXPECT_EQ(check.attempts, 3);
  EXPECT_EQ(check.wait, 5);
  EXPECT_EQ(check.timeout, 5);
  EXPECT_EQ(check.initial_delay, 0);
  EXPECT_EQ(check.port, 0);
  EXPECT_FALSE(check.warn);
  EXPECT_EQ(parsed->formation.size(), 0u);
  EXPECT_EQ(parsed->predeploy, "");
  EXPECT_EQ(parsed->postdeploy, "");
}

TEST(AppJsonTest, DefaultNamesUseProcessTypeTypeAndFileIndex) {
  StatusOr<AppJson> parsed = ParseAppJson(R"({"healthchecks": {"worker": [
    {"name": "untyped"}, {"type": "readiness", "path": "/r"}, {"type": "startup", "name": "given"}
  ]}})");
  ASSERT_OK(parsed);
  const std::vector<HealthCheck>& checks = parsed->healthchecks.at("worker");
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(checks[0].name, "worker-readiness-1");
  EXPECT_EQ(checks[0].kind, HealthCheckKind::kPath);
  EXPECT_EQ(checks[0].path, "/r");
  EXPECT_EQ(checks[1].name, "given");
}

TEST(AppJsonTest, EntriesWithoutTypeAreSkipped) {
  StatusOr<AppJson> parsed = ParseAppJson(R"({"healthchecks": {"web": [
    {"path": "/a"}, {"type": null, "attempts": 0}, {"type": "", "command": []},
    {"type": "startup", "path": "/b"}
  ], "worker": [{"uptime": 5}]}})");
  ASSERT_OK(parsed);
  ASSERT_EQ(parsed->healthchecks.at("web").size(), 1u);
  EXPECT_EQ(parsed->healthchecks.at("web")[0].path, "/b");
  EXPECT_EQ(parsed->healthchecks.at("web")[0].name, "web-startup-3");
  ASSERT_EQ(parsed->healthchecks.count("worker"), 1u);
  EXPECT_TRUE(parsed->healthchecks.at("worker").empty());
}

TEST(AppJsonTest, KindPrecedenceWithOneMarker) {
  struct Case {
    std::string fields;
    HealthCheckKind kind;
  };
  const Case cases[] = {
      {R"("type": "startup", "listening": true)", HealthCheckKind::kListening},
      {R"("type": "startup", "listening": false, "path": "/x")", HealthCheckKind::kPath},
      {R"("type": "startup", "command": ["true"], "listening": false)", HealthCheckKind::kCommand},
      {R"("type": "startup", "path": "/x", "uptime": 0)", HealthCheckKind::kPath},
      {R"("type": "startup", "uptime": 9)", HealthCheckKind::kUptime},
      {R"("type": "startup", "attempts": 2)", HealthCheckKind::kUptime},
  };
  for (const Case& c : cases) {
    StatusOr<AppJson> parsed = ParseAppJson(WebCheck(c.fields));
    ASSERT_OK(parsed);
    ASSERT_EQ(parsed->healthchecks.at("web").size(), 1u) << c.fields;
    EXPECT_EQ(parsed->healthchecks.at("web")[0].kind, c.kind) << c.fields;
  }
}

TEST(AppJsonTest, EmptyAndBlankTextIsAnEmptyObject) {
  for (std::string_view text : {"", "  \n\t\r\n", "// nothing here\n", "/* none */", "{}"}) {
    StatusOr<AppJson> parsed = ParseAppJson(text);
    ASSERT_OK(parsed);
    EXPECT_EQ(*parsed, AppJson()) << text;
  }
}

TEST(AppJsonTest, CommentsAndTrailingCommas) {
  StatusOr<AppJson> parsed = ParseAppJson(R"(// app.json
{
  /* block
     comment */
  "healthchecks": {
    "web": [
      {"type": "startup", "path": "/a,]", "name": "x // not a comment",}, // trailing
      {"type": "startup", "command": ["a", "b",],} /* c */ ,
    ],
  },
  "formation": {"web": {"quantity": 1, /* gone */ },},
}
)");
  ASSERT_OK(parsed);
  const std::vector<HealthCheck>& web = parsed->healthchecks.at("web");
  ASSERT_EQ(web.size(), 2u);
  EXPECT_EQ(web[0].path, "/a,]");
  EXPECT_EQ(web[0].name, "x // not a comment");
  EXPECT_EQ(web[1].command, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(parsed->formation.at("web").quantity, 1);
}

TEST(AppJsonTest, MaxParallelAtOrBelowZeroIsAbsent) {
  for (std::string_view v : {"0", "-1", "-9223372036854775808"}) {
    StatusOr<AppJson> parsed =
        ParseAppJson(FormationOf(std::string("\"max_parallel\": ") + v.data()));
    ASSERT_OK(parsed);
    EXPECT_EQ(parsed->formation.at("worker"), (Formation{std::nullopt, std::nullopt})) << v;
  }
  StatusOr<AppJson> parsed = ParseAppJson(FormationOf(R"("max_parallel": 4, "quantity": 10000)"));
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->formation.at("worker"), (Formation{10000, 4}));
}

TEST(AppJsonTest, BoundaryValuesAreAccepted) {
  StatusOr<AppJson> parsed = ParseAppJson(WebCheck(
      R"("type": "startup", "attempts": 100, "wait": 3600, "timeout": 1, "initialDelay": 3600,
         "port": 65535, "uptime": 86400)"));
  ASSERT_OK(parsed);
  const HealthCheck& check = parsed->healthchecks.at("web")[0];
  EXPECT_EQ(check.attempts, 100);
  EXPECT_EQ(check.wait, 3600);
  EXPECT_EQ(check.timeout, 1);
  EXPECT_EQ(check.initial_delay, 3600);
  EXPECT_EQ(check.port, 65535);
  EXPECT_EQ(check.uptime, 86400);
}

TEST(AppJsonTest, ValueErrorsNameTheField) {
  struct Case {
    std::string text;
    std::string message;
  };
  const std::string hc = "app.json: healthchecks.web[0]";
  const Case cases[] = {
      {"[]", "app.json: must be a JSON object"},
      {R"({"healthchecks": []})", "app.json: healthchecks: must be an object"},
      {R"({"healthchecks": {"web": {}}})",
       "app.json: healthchecks.web: must be an array of healthchecks"},
      {R"({"healthchecks": {"web": [1]}})", hc + ": must be an object"},
      {R"({"healthchecks": {"we_b!": []}})",
       "app.json: healthchecks: \"we_b!\" is not a valid process type"},
      {R"({"healthchecks": {"-web": []}})",
       "app.json: healthchecks: \"-web\" is not a valid process type"},
      {WebCheck(R"("type": "boot")"), hc + ".type: must be one of startup, liveness, readiness"},
      {WebCheck(R"("type": 1)"), hc + ".type: must be one of startup, liveness, readiness"},
      {WebCheck(R"("type": "startup", "name": "db", "path": "/", "command": ["x"])"),
       hc + ": healthcheck name='db' cannot contain both path and command"},
      {WebCheck(R"("type": "startup", "path": "/", "listening": true)"),
       hc + ": healthcheck name='web-startup-0' cannot contain both path and listening"},
      {WebCheck(R"("type": "startup", "command": ["x"], "listening": true)"),
       hc + ": healthcheck name='web-startup-0' cannot contain both command and listening"},
      {WebCheck(R"("type": "startup", "uptime": 3, "listening": true)"),
       hc + ": healthcheck name='web-startup-0' cannot contain both listening and uptime"},
      {WebCheck(R"("type": "startup", "path": "/", "uptime": 1)"),
       hc + ": healthcheck name='web-startup-0' cannot contain both path and uptime"},
      {WebCheck(R"("type": "startup", "scheme": "ftp")"),
       hc + ".scheme: invalid scheme specified, must be either http or https"},
      {WebCheck(R"("type": "startup", "scheme": "HTTP")"),
       hc + ".scheme: invalid scheme specified, must be either http or https"},
      {WebCheck(R"("type": "startup", "attempts": 0)"),
       hc + ".attempts: must be an integer from 1 to 100"},
      {WebCheck(R"("type": "startup", "attempts": 101)"),
       hc + ".attempts: must be an integer from 1 to 100"},
      {WebCheck(R"("type": "startup", "attempts": "3")"),
       hc + ".attempts: must be an integer from 1 to 100"},
      {WebCheck(R"("type": "startup", "attempts": 1.5)"),
       hc + ".attempts: must be an integer from 1 to 100"},
      {WebCheck(R"("type": "startup", "attempts": 2.0)"),
       hc + ".attempts: must be an integer from 1 to 100"},
      {WebCheck(R"("type": "startup", "attempts": true)"),
       hc + ".attempts: must be an integer from 1 to 100"},
      {WebCheck(R"("type": "startup", "attempts": 18446744073709551615)"),
       hc + ".attempts: must be an integer from 1 to 100"},
      {WebCheck(R"("type": "startup", "wait": -1)"),
       hc + ".wait: must be an integer from 0 to 3600"},
      {WebCheck(R"("type": "startup", "timeout": 0)"),
       hc + ".timeout: must be an integer from 1 to 3600"},
      {WebCheck(R"("type": "startup", "timeout": 3601)"),
       hc + ".timeout: must be an integer from 1 to 3600"},
      {WebCheck(R"("type": "startup", "initialDelay": 3601)"),
       hc + ".initialDelay: must be an integer from 0 to 3600"},
      {WebCheck(R"("type": "startup", "uptime": 86401)"),
       hc + ".uptime: must be an integer from 0 to 86400"},
      {WebCheck(R"("type": "startup", "uptime": -1)"),
       hc + ".uptime: must be an integer from 0 to 86400"},
      {WebCheck(R"("type": "startup", "port": 65536)"),
       hc + ".port: must be an integer from 0 to 65535"},
      {WebCheck(R"("type": "startup", "path": "health")"),
       hc + ".path: must start with '/' and contain no spaces or control characters"},
      {WebCheck(R"("type": "startup", "path": "/a b")"),
       hc + ".path: must start with '/' and contain no spaces or control characters"},
      {WebCheck(R"("type": "startup", "path": "/a\tb")"),
       hc + ".path: must start with '/' and contain no spaces or control characters"},
      {WebCheck(R"("type": "startup", "path": 5)"), hc + ".path: must be a string"},
      {WebCheck(R"("type": "startup", "content": "a\u0000b")"),
       hc + ".content: must not contain NUL bytes"},
      {WebCheck(R"("type": "startup", "command": [])"),
       hc + ".command: must be a non-empty array of strings"},
      {WebCheck(R"("type": "startup", "command": "true")"),
       hc + ".command: must be a non-empty array of strings"},
      {WebCheck(R"("type": "startup", "command": ["a", 1])"),
       hc + ".command: must be a non-empty array of strings without NUL bytes"},
      {WebCheck(R"("type": "startup", "command": ["a\u0000"])"),
       hc + ".command: must be a non-empty array of strings without NUL bytes"},
      {WebCheck(R"("type": "startup", "listening": "yes")"),
       hc + ".listening: must be true or false"},
      {WebCheck(R"("type": "startup", "warn": 1)"), hc + ".warn: must be true or false"},
      {WebCheck(R"("type": "startup", "name": "a\nb")"),
       hc + ".name: must be at most 256 bytes and contain no control characters"},
      {WebCheck(R"("type": "startup", "httpHeaders": {"Host": "x"})"),
       hc + ".httpHeaders: must be an array of {name, value} objects"},
      {WebCheck(R"("type": "startup", "httpHeaders": ["Host: x"])"),
       hc + ".httpHeaders[0]: must be an object with name and value"},
      {WebCheck(
           R"("type": "startup", "httpHeaders": [{"name": "A", "value": "1"}, {"value": "x"}])"),
       hc + ".httpHeaders[1].name: must be a non-empty HTTP header name"},
      {WebCheck(R"("type": "startup", "httpHeaders": [{"name": "A\r\nB: c", "value": "x"}])"),
       hc + ".httpHeaders[0].name: must be a non-empty HTTP header name"},
      {WebCheck(R"("type": "startup", "httpHeaders": [{"name": "A", "value": "x\r\nB: c"}])"),
       hc + ".httpHeaders[0].value: must not contain CR or LF"},
      {WebCheck(R"("type": "startup", "httpHeaders": [{"name": "A", "value": 1}])"),
       hc + ".httpHeaders[0].value: must be a string"},
      {R"({"formation": []})", "app.json: formation: must be an object"},
      {R"({"formation": {"worker": 1}})", "app.json: formation.worker: must be an object"},
      {R"({"formation": {"a.b": {}}})", "app.json: formation: \"a.b\" is not a valid process type"},
      {R"({"formation": {"a\nb": {}}})",
       "app.json: formation: \"a?b\" is not a valid process type"},
      {FormationOf(R"("quantity": 10001)"),
       "app.json: formation.worker.quantity: must be an integer from 0 to 10000"},
      {FormationOf(R"("quantity": -1)"),
       "app.json: formation.worker.quantity: must be an integer from 0 to 10000"},
      {FormationOf(R"("quantity": "2")"),
       "app.json: formation.worker.quantity: must be an integer from 0 to 10000"},
      {FormationOf(R"("max_parallel": 1.5)"),
       "app.json: formation.worker.max_parallel: must be an integer from 1 to 10000"},
      {FormationOf(R"("max_parallel": 10001)"),
       "app.json: formation.worker.max_parallel: must be an integer from 1 to 10000"},
      {R"({"scripts": "x"})", "app.json: scripts: must be an object"},
      {R"({"scripts": {"dokku": []}})", "app.json: scripts.dokku: must be an object"},
      {R"({"scripts": {"dokku": {"predeploy": ["a"]}}})",
       "app.json: scripts.dokku.predeploy: must be a string"},
      {R"({"scripts": {"dokku": {"postdeploy": "a\u0000"}}})",
       "app.json: scripts.dokku.postdeploy: must not contain NUL bytes"},
      {R"({"scripts": {"dokku": {"predeploy": ")" + std::string(64 * 1024 + 1, 'x') + "\"}}}",
       "app.json: scripts.dokku.predeploy: must be at most 64 KiB"},
      {R"({"scripts": {"postdeploy": 1}})", "app.json: scripts.postdeploy: must be a string"},
  };
  for (const Case& c : cases) EXPECT_EQ(ErrorOf(c.text), c.message) << c.text.substr(0, 200);
}

TEST(AppJsonTest, SyntaxErrorsNameLineAndColumn) {
  struct Case {
    std::string text;
    std::string message;
  };
  const Case cases[] = {
      {"{\n  \"a\": 1\n  \"b\": 2\n}",
       "app.json: line 3, column 5: unexpected string literal; expected '}'"},
      {"{\"a\": 1,,}", "app.json: line 1, column 9: unexpected ','; expected string literal"},
      {"{,}", "app.json: line 1, column 2: unexpected ','; expected string literal"},
      {"[1,,]", "app.json: line 1, column 4: unexpected ','; expected '[', '{', or a literal"},
      {"{\n\"a\": tru}", "app.json: line 2, column 9: invalid literal; last read: '\"a\": tru}'"},
      {"{\"a\": \"abc",
       "app.json: line 1, column 11: invalid string: missing closing quote; "
       "last read: '\"abc'"},
      {"{} /* open",
       "app.json: line 1, column 11: invalid comment; missing closing '*/'; last read: "
       "'{} /* open'; expected end of input"},
      {"{}}", "app.json: line 1, column 3: unexpected '}'; expected end of input"},
      {"\n\n  {\"healthchecks\":\x01}",
       "app.json: line 3, column 19: invalid literal; last read: "
       "'\"healthchecks\":<U+0001>'"},
      {std::string("{\"a\":\n\"b\0\"}", 11),
       "app.json: line 2, column 3: contains a NUL byte (is it binary?)"},
      {"{\"a\": \"\xff\"}", "app.json: line 1, column 8: not valid UTF-8"},
      {"{\"a\": \"\xc0\xaf\"}", "app.json: line 1, column 8: not valid UTF-8"},
      {"// \xff\n{}", "app.json: line 1, column 4: not valid UTF-8"},
      {std::string(65, '[') + std::string(65, ']'),
       "app.json: line 1, column 65: nested deeper than 64 levels"},
      {"{\"a\": 1e400}", "app.json: number overflow parsing '1e400'"},
      {"{\"a\": \"\\ud800\"}",
       "app.json: line 1, column 14: invalid string: surrogate U+D800..U+DBFF must be followed by "
       "U+DC00..U+DFFF; last read: '\"\\ud800\"'"},
  };
  for (const Case& c : cases) EXPECT_EQ(ErrorOf(c.text), c.message) << c.text.substr(0, 80);
}

TEST(AppJsonTest, SizeLimit) {
  std::string text = "{\"pad\": \"" + std::string(kMaxAppJsonSize - 12, 'x') + "\"}";
  ASSERT_EQ(text.size(), kMaxAppJsonSize - 1);
  EXPECT_OK(ParseAppJson(text));
  text.insert(1, "  ");
  EXPECT_EQ(ErrorOf(text), "app.json: larger than 1 MiB");
}

TEST(AppJsonTest, NestingUpToTheLimitIsFineInUnknownKeys) {
  const std::string deep = std::string(63, '[') + std::string(63, ']');
  EXPECT_OK(ParseAppJson("{\"x\": " + deep + "}"));
}

TEST(AppJsonTest, ErrorMessagesAreOneLineAndShort) {
  const std::string long_token = "{\"a\": \"" + std::string(5000, 'y');
  const std::string message = ErrorOf(long_token);
  EXPECT_LT(message.size(), 220u);
  EXPECT_EQ(message.find('\n'), std::string::npos);
  EXPECT_TRUE(message.starts_with("app.json: line 1, column 5008: invalid string")) << message;
}

TEST(AppJsonTest, ChecksOfFiltersByTypeInFileOrder) {
  StatusOr<AppJson> parsed = ParseAppJson(R"({"healthchecks": {
    "web": [{"type": "startup", "name": "s1"}, {"type": "liveness", "name": "l1"},
            {"type": "startup", "name": "s2"}, {"type": "readiness", "name": "r1"},
            {"type": "liveness", "name": "l2"}],
    "worker": [{"type": "startup", "name": "w1"}]}})");
  ASSERT_OK(parsed);
  const auto names = [&](const std::string& proctype, HealthCheckType type) {
    std::vector<std::string> out;
    for (const HealthCheck& c : ChecksOf(*parsed, proctype, type)) out.push_back(c.name);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names("web", HealthCheckType::kStartup), (V{"s1", "s2"}));
  EXPECT_EQ(names("web", HealthCheckType::kLiveness), (V{"l1", "l2"}));
  EXPECT_EQ(names("web", HealthCheckType::kReadiness), (V{"r1"}));
  EXPECT_EQ(names("worker", HealthCheckType::kStartup), (V{"w1"}));
  EXPECT_EQ(names("worker", HealthCheckType::kLiveness), V{});
  EXPECT_EQ(names("cron", HealthCheckType::kStartup), V{});
}

TEST(AppJsonTest, NullReadsAsAbsentAndUnknownKeysAreIgnored) {
  StatusOr<AppJson> parsed = ParseAppJson(R"({"healthchecks": null, "formation": {"web":
    {"quantity": null, "autoscaling": {"triggers": []}, "service": {"exposed": true}}},
    "scripts": {"dokku": null}, "cron": [{"command": "x"}], "buildpacks": 7})");
  ASSERT_OK(parsed);
  AppJson want;
  want.formation["web"] = {};
  EXPECT_EQ(*parsed, want);
}

TEST(AppJsonTest, NamesOfEnums) {
  EXPECT_EQ(HealthCheckTypeName(HealthCheckType::kStartup), "startup");
  EXPECT_EQ(HealthCheckTypeName(HealthCheckType::kLiveness), "liveness");
  EXPECT_EQ(HealthCheckTypeName(HealthCheckType::kReadiness), "readiness");
  EXPECT_EQ(HealthCheckKindName(HealthCheckKind::kPath), "path");
  EXPECT_EQ(HealthCheckKindName(HealthCheckKind::kCommand), "command");
  EXPECT_EQ(HealthCheckKindName(HealthCheckKind::kListening), "listening");
  EXPECT_EQ(HealthCheckKindName(HealthCheckKind::kUptime), "uptime");
}

}  // namespace
}  // namespace dokku
