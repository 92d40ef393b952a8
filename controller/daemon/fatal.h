// The daemon's last resort: an exception that nothing caught (dokkud converts failures into a
// Status where they happen, so this is a bug) is logged through the daemon log before the
// process ends, instead of the process dying with nothing in the journal.
#pragma once

#include <exception>
#include <string>
#include <string_view>

namespace dokku {

// Exit code of dokkud after an uncaught exception reached main (EX_SOFTWARE).
inline constexpr int kExitUncaughtException = 70;

// What `e` says: what() for a std::exception, a placeholder for anything else or for none.
std::string DescribeException(std::exception_ptr e);

// The line logged for an exception that escaped `where` ("main", "std::terminate").
std::string FatalExceptionMessage(std::string_view where, std::exception_ptr e);

// std::set_terminate: logs FatalExceptionMessage("std::terminate", std::current_exception()) at
// error level, then aborts (a signal exit, non-zero, with a core dump where enabled).
void InstallTerminateHandler();

}  // namespace dokku
