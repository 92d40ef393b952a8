// Store: ports:set / add / remove / clear, the app's configured port map (properties
// ports/<app>/map, sorted space-joined "scheme:host:container" tokens).
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include <algorithm>

#include "store/store.h"
#include "store/store_internal.h"

namespace dokku {

using internal::Guard;

namespace {

std::string ReadMap(SQLite::Database& db, const std::string& app) {
  SQLite::Statement q(db,
                      "SELECT value FROM properties WHERE plugin = 'ports' AND app = ? AND "
                      "key = 'map'");
  q.bind(1, app);
  return q.executeStep() ? q.getColumn(0).getString() : std::string();
}

// The new map, or the error Dokku gives for the operation.
StatusOr<std::vector<PortMap>> Apply(Store::PortsOp op, std::vector<PortMap> current,
                                     const std::vector<PortMap>& given) {
  using Op = Store::PortsOp;
  auto wrap = [](const char* what, const Status& s) {
    return Status::InvalidArgument(fmt::format("Error validating {}: {}", what, s.message()));
  };
  if (op == Op::kClear) return std::vector<PortMap>();
  if (op == Op::kSet) {
    if (Status s = CheckUniqueHostPorts(given); !s.ok()) return wrap("port mappings", s);
    return given;
  }
  if (op == Op::kAdd) {
    if (Status s = CheckUniqueHostPorts(given); !s.ok()) return wrap("new port mappings", s);
    for (const PortMap& m : given) {
      if (std::find(current.begin(), current.end(), m) == current.end()) current.push_back(m);
    }
    if (Status s = CheckUniqueHostPorts(current); !s.ok()) return wrap("all port mappings", s);
    return current;
  }
  std::erase_if(current, [&](const PortMap& m) {
    return std::any_of(given.begin(), given.end(), [&](const PortMap& g) {
      return g == m || (g.container_port == 0 && g.host_port == m.host_port);
    });
  });
  return current;
}

}  // namespace

StatusOr<std::vector<PortMap>> Store::GetPorts(const std::string& app) {
  DOKKU_RETURN_IF_ERROR(RequireApp(app));
  return Guard([&]() -> StatusOr<std::vector<PortMap>> {
    StatusOr<std::vector<PortMap>> maps = ParsePortMaps({ReadMap(*db_, app)});
    if (!maps.ok()) return Status::Internal("stored port map: " + maps.status().message());
    return *maps;
  });
}

StatusOr<int64_t> Store::ChangePorts(const std::string& app, PortsOp op,
                                     const std::vector<PortMap>& maps) {
  DOKKU_RETURN_IF_ERROR(RequireApp(app));
  return Guard([&]() -> StatusOr<int64_t> {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    const std::string before = ReadMap(*db_, app);
    StatusOr<std::vector<PortMap>> current = ParsePortMaps({before});
    if (!current.ok()) return Status::Internal("stored port map: " + current.status().message());
    StatusOr<std::vector<PortMap>> next = Apply(op, *current, maps);
    if (!next.ok()) return next.status();
    const std::string after = JoinPortMaps(*next);
    SQLite::Statement gen(*db_, "SELECT generation FROM apps WHERE name = ? AND deleting = 0");
    gen.bind(1, app);
    if (!gen.executeStep()) return Status::NotFound(fmt::format("App {} does not exist", app));
    if (after == before) return gen.getColumn(0).getInt64();  // nothing to write
    gen.reset();
    SQLite::Statement del(*db_,
                          "DELETE FROM properties WHERE plugin = 'ports' AND app = ? AND "
                          "key = 'map'");
    del.bind(1, app);
    del.exec();
    if (!after.empty()) {
      SQLite::Statement ins(*db_,
                            "INSERT INTO properties (plugin, app, key, value) "
                            "VALUES ('ports', ?, 'map', ?)");
      ins.bind(1, app);
      ins.bind(2, after);
      ins.exec();
    }
    const int64_t generation = BumpGeneration(app);
    tx.commit();
    return generation;
  });
}

}  // namespace dokku
