// The schema migrations, embedded at build time from schema/NNN_name.sql (in file-name order).
// Migration i (0-based) brings the database to PRAGMA user_version i+1.
#pragma once

#include <string>
#include <vector>

namespace dokku {

struct Migration {
  const char* name;
  const char* sql;
};

const std::vector<Migration>& Migrations();

}  // namespace dokku
