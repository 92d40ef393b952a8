// Table-driven tests of store/validation.h: every user-supplied name and value, with the exact
// messages the CLI prints.
#include "store/validation.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

namespace dokku {
namespace {

const char kAppNameRule[] =
    "App name must begin with lowercase alphanumeric character, and may only contain lowercase "
    "alphanumerics, dots, and hyphens";
const char kSpecifyApp[] = "Please specify an app to run the command on";

// Printable form of a test input (names contain NULs, newlines and quotes).
std::string Show(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\0') {
      out += "\\0";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

struct AppNameCase {
  std::string name;
  bool valid_new;       // ValidateNewAppName accepts it
  bool valid_existing;  // ValidateAppName accepts it
};

TEST(ValidationAppName, NewAndExistingRules) {
  const AppNameCase cases[] = {
      {"app", true, true},
      {"a", true, true},
      {"0", true, true},
      {"9lives", true, true},
      {"my-app.v2", true, true},
      {"app-", true, true},  // Dokku's regex allows a trailing hyphen or dot
      {"app.", true, true},
      {std::string(63, 'a'), true, true},
      {"my_app", false, true},  // underscores: existing apps only
      {"a_b_c", false, true},
      {std::string(64, 'a'), false, false},
      {fmt::format("x{}", std::string(100, 'b')), false, false},
      {"App", false, false},
      {"aPP", false, false},
      {"-app", false, false},
      {".app", false, false},
      {"_app", false, false},
      {"a/b", false, false},
      {"/app", false, false},
      {"..", false, false},
      {"a..b", false, false},
      {"app..", false, false},
      {"../etc", false, false},
      {"a;b", false, false},
      {"a b", false, false},
      {" app", false, false},
      {"app ", false, false},
      {"a\nb", false, false},
      {"app\n", false, false},
      {"a\tb", false, false},
      {"a'b", false, false},
      {"a\"b", false, false},
      {"a`b", false, false},
      {"a$b", false, false},
      {"a:b", false, false},
      {"a*b", false, false},
      {"--global", false, false},
      {std::string("ab\0c", 4), false, false},
      {std::string("ab\0", 3), false, false},
      {"caf\xc3\xa9", false, false},
  };
  for (const AppNameCase& c : cases) {
    SCOPED_TRACE(Show(c.name));
    Status fresh = ValidateNewAppName(c.name);
    EXPECT_EQ(fresh.ok(), c.valid_new) << fresh.ToString();
    if (!c.valid_new) {
      EXPECT_EQ(fresh.code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(fresh.message(), kAppNameRule);
    }
    Status existing = ValidateAppName(c.name);
    EXPECT_EQ(existing.ok(), c.valid_existing) << existing.ToString();
    if (!c.valid_existing) {
      // Dokku answers an impossible name like a missing app (exit 20).
      EXPECT_EQ(existing.code(), StatusCode::kNotFound);
      EXPECT_EQ(existing.message(), fmt::format("App {} does not exist", c.name));
    }
  }
}

TEST(ValidationAppName, EmptyAsksForAnApp) {
  for (Status s : {ValidateNewAppName(""), ValidateAppName("")}) {
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(s.message(), kSpecifyApp);
  }
}

struct ValidityCase {
  std::string value;
  bool valid;
};

TEST(ValidationProcessType, Rules) {
  const ValidityCase cases[] = {
      {"web", true},
      {"worker", true},
      {"Web", true},
      {"web-1", true},
      {"web_2", true},
      {"0", true},
      {"urgentworker", true},
      {std::string(63, 'w'), true},
      {std::string(64, 'w'), false},
      {"", false},
      {"-web", false},
      {"_web", false},
      {"web.1", false},
      {"web 1", false},
      {" web", false},
      {"web=1", false},
      {"web/x", false},
      {"web,worker", false},
      {"web\n", false},
      {"w\xc3\xa9", false},
      {"_all_", false},
      {std::string("we\0b", 4), false},
  };
  for (const ValidityCase& c : cases) {
    SCOPED_TRACE(Show(c.value));
    Status s = ValidateProcessType(c.value);
    EXPECT_EQ(s.ok(), c.valid) << s.ToString();
    if (!c.valid) {
      EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(s.message(), fmt::format("Invalid process type specified ({})", c.value));
    }
  }
}

TEST(ValidationTag, DockerTagRule) {
  const ValidityCase cases[] = {
      {"latest", true},
      {"v1.2.3", true},
      {"_x", true},
      {"A-b_c.d", true},
      {"2024", true},
      {std::string(128, 't'), true},
      {std::string(129, 't'), false},
      {"", false},
      {".x", false},
      {"-x", false},
      {"a:b", false},
      {"a/b", false},
      {"a b", false},
      {"a\n", false},
      {"a@sha", false},
      {std::string("a\0b", 3), false},
  };
  for (const ValidityCase& c : cases) {
    SCOPED_TRACE(Show(c.value));
    Status s = ValidateTag(c.value);
    EXPECT_EQ(s.ok(), c.valid) << s.ToString();
    if (!c.valid) {
      EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    }
  }
}

TEST(ValidationDomain, DnsLabels) {
  const std::string label63(63, 'a');
  const std::string max253 = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'd');
  ASSERT_EQ(max253.size(), 253u);
  const ValidityCase cases[] = {
      {"example.com", true},
      {"localhost", true},
      {"a-b.example.co", true},
      {"x1.y2", true},
      {"127.0.0.1", true},
      {label63 + ".com", true},
      {max253, true},
      {max253 + "d", false},
      {std::string(64, 'a') + ".com", false},
      {"", false},
      {"Example.com", false},
      {"a..b", false},
      {".a", false},
      {"a.", false},
      {"-a.com", false},
      {"a-.com", false},
      {"a_b.com", false},
      {"a b", false},
      {"a/b", false},
      {"*.example.com", false},
      {"a.com\n", false},
      {std::string("a\0.com", 6), false},
  };
  for (const ValidityCase& c : cases) {
    SCOPED_TRACE(Show(c.value));
    Status s = ValidateDomain(c.value);
    EXPECT_EQ(s.ok(), c.valid) << s.ToString();
    if (!c.valid) {
      EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(s.message(), "Invalid domain: " + c.value);
    }
  }
}

TEST(ValidationRestartPolicy, DockerPolicies) {
  const ValidityCase cases[] = {
      {"no", true},
      {"always", true},
      {"unless-stopped", true},
      {"on-failure", true},
      {"on-failure:0", true},
      {"on-failure:10", true},
      {"on-failure:1000", true},
      {"", false},
      {" always", false},
      {"always ", false},
      {"Always", false},
      {"never", false},
      {"on-failure:", false},
      {"on-failure:-1", false},
      {"on-failure:x", false},
      {"on-failure:+1", false},
      {"on-failure: 1", false},
      {"on-failure:1.5", false},
      {"on-failure:1001", false},
      {"on-failure:99999999999999999999", false},
      {"on-failure:10;rm", false},
      {"no:1", false},
  };
  for (const ValidityCase& c : cases) {
    SCOPED_TRACE(Show(c.value));
    Status s = ValidateRestartPolicy(c.value);
    EXPECT_EQ(s.ok(), c.valid) << s.ToString();
    if (!c.valid) {
      EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(s.message(), "Invalid restart-policy specified");
    }
  }
}

TEST(ValidationSeconds, WholeSecondsUpToMax) {
  struct Case {
    std::string value;
    int max;
    bool valid;
  };
  const Case cases[] = {
      {"0", 86400, true},
      {"30", 86400, true},
      {"86400", 86400, true},
      {"007", 86400, true},
      {"86401", 86400, false},
      {"3600", 3600, true},
      {"3601", 3600, false},
      {"", 86400, false},
      {"-1", 86400, false},
      {"+1", 86400, false},
      {" 1", 86400, false},
      {"1 ", 86400, false},
      {"1.5", 86400, false},
      {"1e3", 86400, false},
      {"abc", 86400, false},
      {"10s", 86400, false},
      {"99999999999999999999", 86400, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(Show(c.value) + " max " + std::to_string(c.max));
    Status s = ValidateSeconds(c.value, c.max);
    EXPECT_EQ(s.ok(), c.valid) << s.ToString();
    if (!c.valid) {
      EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(s.message(), "Invalid value '" + c.value +
                                 "': expected whole seconds between 0 and " +
                                 std::to_string(c.max));
    }
  }
  EXPECT_TRUE(ValidateSeconds("86400").ok());  // default max is a day
  EXPECT_FALSE(ValidateSeconds("86401").ok());
}

TEST(ValidationScaleArg, ParsesAndTrims) {
  struct Case {
    std::string arg;
    std::string proctype;
    int count;
  };
  const Case cases[] = {
      {"web=2", "web", 2},      {" web = 2 ", "web", 2},   {"\tweb\t=\t3", "web", 3},
      {"web=0", "web", 0},      {"web=1000", "web", 1000}, {"worker=10", "worker", 10},
      {"Web_1=01", "Web_1", 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(Show(c.arg));
    std::string proctype;
    int count = -7;
    Status s = ParseScaleArg(c.arg, &proctype, &count);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(proctype, c.proctype);
    EXPECT_EQ(count, c.count);
  }
}

TEST(ValidationScaleArg, Errors) {
  struct Case {
    std::string arg;
    std::string message;
  };
  const Case cases[] = {
      {"web", "Missing count for process type web"},
      {" web ", "Missing count for process type web"},
      {"web=", "Invalid count for process type web"},
      {"web= ", "Invalid count for process type web"},
      {"web=-1", "Invalid count for process type web"},
      {"web=1.5", "Invalid count for process type web"},
      {"web=abc", "Invalid count for process type web"},
      {"web=1001", "Invalid count for process type web"},
      {"web=+1", "Invalid count for process type web"},
      {"web=1e3", "Invalid count for process type web"},
      {"web=2 3", "Invalid count for process type web"},
      {"web==2", "Invalid count for process type web"},
      {"web=99999999999999999999", "Invalid count for process type web"},
      {"=2", "Invalid process type specified ()"},
      {"we b=1", "Invalid process type specified (we b)"},
      {"web;rm=1", "Invalid process type specified (web;rm)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(Show(c.arg));
    std::string proctype;
    int count = 0;
    Status s = ParseScaleArg(c.arg, &proctype, &count);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
    EXPECT_EQ(s.message(), c.message);
  }
}

}  // namespace
}  // namespace dokku
