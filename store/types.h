// Plain value types of the state model (schema/001_initial.sql explains every field).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dokku {

inline constexpr const char* kGlobal = "--global";

struct App {
  std::string name;
  int64_t created_at = 0;
  bool desired_running = true;
  bool deleting = false;
  int64_t generation = 0;
  int64_t observed_generation = 0;
  int64_t rebuild_generation = 0;
  std::optional<int64_t> desired_release;
  std::optional<int64_t> current_release;
  std::string last_error;
  bool locked = false;  // apps:lock: the CLI refuses deploys and restarts (dokkud ignores it)
};

struct FormationEntry {
  std::string proctype;
  int quantity = 0;
  int64_t restart_generation = 0;
  std::optional<int> held_quantity;  // ps:scale --skip-deploy: what keeps running meanwhile
  bool operator==(const FormationEntry&) const = default;
};

struct Release {
  int64_t id = 0;
  std::string app;
  int64_t number = 0;
  std::string tag;
  std::string image_ref;
  std::string image_id;
  std::optional<std::string> procfile;
  std::optional<std::string> checks;
  std::optional<std::string> dokku_scale;
  // The Procfile's process types (set when prepared); nullopt: no Procfile.
  std::optional<std::vector<std::string>> proctypes;
  // The image's exposed ports ("8080/tcp 53/udp", sorted) read when prepared; nullopt before.
  std::optional<std::string> exposed_ports;
  std::optional<std::string> app_json;  // the image's app.json, read when prepared
  std::string tasks;  // deployment tasks as they ran: "predeploy ok, postdeploy failed"
  // Where the release was pushed, by digest ("127.0.0.1:5000/dokku/app@sha256:..."); empty when
  // it was not pushed. docker-swarm runs this instead of the local image id.
  std::string registry_ref;
  std::string status;  // pending | prepared | rolling | live | failed | superseded
  std::string error;
  std::string trigger;
  std::optional<int64_t> rollback_of;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

struct TagOp {
  int64_t id = 0;
  std::string app;
  std::string op;  // create | destroy
  std::string tag;
  std::string image_id;
  std::string status;  // pending | done | failed
  std::string error;
  int64_t created_at = 0;
};

struct Request {
  int64_t id = 0;
  std::string app;
  std::string kind;
  std::string args;
  std::string status;
  std::string result;
  int64_t created_at = 0;
};

struct ObservedContainer {
  std::string id;
  std::string app;
  std::string name;
  std::string proctype;
  int index = 0;
  std::optional<int64_t> release_id;
  std::string state;          // Docker State.Status, or "missing"
  std::string role = "live";  // live | upcoming | retiring
  std::string ip;
  int port = 0;
  int host_port = 0;
  int restart_count = 0;
  int64_t started_at = 0;  // unix seconds
  std::string image_id;
  int64_t updated_at = 0;
  std::string node;  // the swarm node's host name; "" on docker-local (this host)
};

struct ImageTag {
  std::string app;
  std::string tag;
  std::string image_id;
  int64_t created = 0;  // unix seconds
  int64_t size = 0;     // bytes
};

struct Retirement {
  std::string container_id;
  std::string app;
  int64_t retire_at = 0;  // unix ms
  int64_t created_at = 0;
};

struct Event {
  int64_t id = 0;
  std::string app;
  int64_t time = 0;
  std::string level;  // info1 | info2 | verbose | warn | error | output
  std::string text;
};

}  // namespace dokku
