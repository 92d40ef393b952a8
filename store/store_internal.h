// Helpers shared by the store's .cc files: exception-to-Status conversion and row mapping.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <exception>
#include <string>
#include <string_view>

#include "store/status.h"
#include "store/types.h"

namespace dokku::internal {

// Converts a SQLite failure into a Status. A busy database after the busy timeout is
// Unavailable (the caller may retry); anything else is Internal.
Status FromException(const std::exception& e);

// Runs `fn` (which returns Status or StatusOr<T>), turning any exception into a Status.
template <typename Fn>
auto Guard(Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return FromException(e);
  }
}

// Columns in the order of kReleaseColumns.
extern const char kReleaseColumns[];
Release ReadRelease(SQLite::Statement& q);

std::optional<int64_t> OptionalInt(SQLite::Statement& q, int col);
std::optional<std::string> OptionalText(SQLite::Statement& q, int col);
void BindOptional(SQLite::Statement& q, int index, const std::optional<int64_t>& v);
void BindOptional(SQLite::Statement& q, int index, const std::optional<std::string>& v);

// Inside a write transaction: inserts `r` as its app's next release (numbering it), points
// desired_release at it and clears --skip-deploy holds. The caller bumps the generation. A
// non-empty `actor` (Store::SetActor) is appended to the trigger as " by <actor>".
Release InsertRelease(SQLite::Database& db, Release r, std::string_view actor);

// Inside a write transaction: bumps restart_generation (and clears held_quantity) of `proctype`
// of `app`, or of every type when it is empty. Returns the number of formation rows changed.
int BumpRestartGeneration(SQLite::Database& db, const std::string& app,
                          const std::string& proctype);

}  // namespace dokku::internal
