// Store: typed access to dokkud's SQLite state (schema/). Every operation is one transaction;
// every write that changes desired state bumps apps.generation and appends to `changes` in that
// same transaction. Validation of user input lives here, so nothing invalid reaches the database.
// A Store is one connection: use it from one thread at a time (open one Store per thread).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/clock.h"
#include "store/docker_options.h"
#include "store/host_config.h"
#include "store/ports.h"
#include "store/registry.h"
#include "store/ssh_keys.h"
#include "store/status.h"
#include "store/types.h"

namespace SQLite {
class Database;
}

namespace dokku {

// The database file under a state dir, and the default state dir ($DOKKU_LIB_ROOT or
// /var/lib/dokku).
std::string DefaultStateDir();
std::string DatabasePath(const std::string& state_dir);

class Store {
 public:
  // Opens (creating with dir 0700 / file 0600) `path`, or an in-memory database for ":memory:",
  // and applies pending migrations. Refuses a database written by a newer version.
  static StatusOr<std::unique_ptr<Store>> Open(const std::string& path,
                                               const Clock* clock = RealClock::Get());
  // Opens $state_dir/dokku.db, creating the directory.
  static StatusOr<std::unique_ptr<Store>> OpenStateDir(const std::string& state_dir,
                                                       const Clock* clock = RealClock::Get());
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  int SchemaVersion();  // -1 if it cannot be read
  // A random id made when the database was created; dokkud labels its containers with it.
  StatusOr<std::string> StoreId();

  // ---- apps (desired) ----
  Status CreateApp(const std::string& app);
  // Marks the app for deletion: it disappears from every command at once; dokkud removes its
  // containers and then the row. Returns the new generation. When had_deployed is given it is
  // set, in the same transaction, to whether the app has anything dokkud must tear down
  // (releases, containers, image tags, retirements or pending tag operations).
  StatusOr<int64_t> DestroyApp(const std::string& app, bool* had_deployed = nullptr);
  // NotFound("App <app> does not exist") for unknown or deleting apps.
  StatusOr<App> GetApp(const std::string& app);
  // Includes apps being deleted only when include_deleting.
  StatusOr<std::vector<App>> ListApps(bool include_deleting = false);
  Status RequireApp(const std::string& app);  // NotFound unless it exists and is not deleting
  // The app row whatever its state (deleting included); nullopt when there is none.
  StatusOr<std::optional<App>> FindApp(const std::string& app);
  // apps:lock / apps:unlock. Returns whether the app was locked before. No generation bump:
  // the lock is the CLI's to check, dokkud keeps reconciling a locked app.
  StatusOr<bool> SetAppLocked(const std::string& app, bool locked);
  // apps:clone: in one transaction creates `new_app` (CreateApp's rules) with a copy of the
  // old app's settings: properties, config vars, formation quantities, ports, storage mounts,
  // resources and docker-options (not its lock, releases, containers or images). With deploy and
  // a live release, the new app also gets a prepared release pinned to that release's image
  // and files. Returns that release, or nullopt.
  StatusOr<std::optional<Release>> CloneApp(const std::string& old_app, const std::string& new_app,
                                            bool deploy);
  // apps:rename's first half: CloneApp plus, in the same transaction, the old app's release
  // history (renumbered as it was, image refs dokku/<new>:<tag>, live → superseded) and a pending
  // create tag operation per image tag of the old app. The old app is left as it was: the caller
  // destroys it once the new app is live.
  StatusOr<std::optional<Release>> RenameCopy(const std::string& old_app,
                                              const std::string& new_app, bool deploy);

  // ---- formation ----
  StatusOr<std::vector<FormationEntry>> GetFormation(const std::string& app);
  // Validates every (proctype, count) first and changes nothing on any error. Rules: counts
  // 0..1000; DOKKU_SCALE in the desired release forbids scaling; with a Procfile, a type it lacks
  // cannot get a count > 0. skip_deploy keeps running types at their current count (held).
  // Returns the new generation.
  StatusOr<int64_t> SetScale(const std::string& app,
                             const std::vector<std::pair<std::string, int>>& counts,
                             bool skip_deploy);
  // ps:restart: bumps restart_generation of `proctype` (empty: all types). Returns generation.
  StatusOr<int64_t> Restart(const std::string& app, const std::string& proctype);
  // ps:start / ps:stop (stop also sets ps restore=false, start sets it true).
  StatusOr<int64_t> SetRunning(const std::string& app, bool running);

  // ---- properties ----
  // `app` is an app name or kGlobal. Empty value unsets. Validates plugin/key/value.
  // Returns the new generation of the app (0 for global).
  StatusOr<int64_t> SetProperty(const std::string& plugin, const std::string& app,
                                const std::string& key, const std::string& value);
  // "" when unset.
  StatusOr<std::string> GetProperty(const std::string& plugin, const std::string& app,
                                    const std::string& key);
  // App value, else global value, else `fallback`.
  // The registry properties of `app` (registry:set) with its computed scheduler.
  StatusOr<RegistrySettings> RegistrySettingsOf(const std::string& app);
  StatusOr<std::string> ComputedProperty(const std::string& plugin, const std::string& app,
                                         const std::string& key, const std::string& fallback);
  StatusOr<std::map<std::string, std::string>> GetProperties(const std::string& plugin,
                                                             const std::string& app);
  // checks:disable / enable / skip. kind: "disable" | "enable" | "skip". Empty list = all.
  StatusOr<int64_t> SetChecksMode(const std::string& app, const std::string& kind,
                                  const std::vector<std::string>& proctypes);

  // ---- config vars ----
  // The vars of an app (which must exist) or of kGlobal, by key.
  StatusOr<std::map<std::string, std::string>> GetConfig(const std::string& scope);
  // Global vars with the app's on top (the app wins): what its containers get.
  StatusOr<std::map<std::string, std::string>> GetMergedConfig(const std::string& app);
  // One transaction: `clear` removes every var of `scope` first, then each change sets (value)
  // or unsets (nullopt) a key. Every key and value is validated first; nothing changes on any
  // error, nor when the vars would end up as they were (changed = false). `restart` (app scope)
  // also bumps every process type's restart_generation, so dokkud replaces the containers
  // start-first with checks. generation is the app's (0 for global, which bumps nothing: Dokku
  // applies global vars at each app's next deploy).
  struct ConfigChange {
    int64_t generation = 0;
    bool changed = false;
  };
  StatusOr<ConfigChange> ChangeConfig(
      const std::string& scope, const std::map<std::string, std::optional<std::string>>& changes,
      bool clear, bool restart);

  // ---- ports ----
  // The configured map (ports:list), empty when none is set.
  StatusOr<std::vector<PortMap>> GetPorts(const std::string& app);
  // ports:set / add / remove / clear in one transaction, with Dokku's duplicate checks
  // ("Error validating ... port mappings: ..."); remove drops exact matches and every mapping
  // of a bare host port's wildcard. An unchanged map writes nothing. Returns the generation.
  enum class PortsOp { kSet, kAdd, kRemove, kClear };
  StatusOr<int64_t> ChangePorts(const std::string& app, PortsOp op,
                                const std::vector<PortMap>& maps);
  // ---- host configuration: storage, resource (store_host_config.cc) ----
  // storage:mount. Validates `mount` as ParseMountSpec does and, unless `force`, refuses the host
  // paths CheckHostPathAllowed refuses. The same host path, container path and process type
  // again: AlreadyExists("Mount path already exists."). Returns the new generation.
  StatusOr<int64_t> AddStorageMount(const std::string& app, const StorageMount& mount, bool force);
  // storage:unmount of host path, container path and process type; options are ignored.
  // NotFound("Mount path does not exist.") when not attached. Returns the new generation.
  StatusOr<int64_t> RemoveStorageMount(const std::string& app, const StorageMount& mount);
  StatusOr<std::vector<StorageMount>> ListStorageMounts(const std::string& app);  // load order
  // resource:limit / resource:reserve (kind "limit" | "reserve") for `process_type`
  // (kDefaultProcessType: app-wide): each (key, value) is set, value "clear" deletes it. All
  // are validated before anything is written. Returns the new generation.
  StatusOr<int64_t> SetResources(const std::string& app, const std::string& process_type,
                                 const std::string& kind,
                                 const std::vector<std::pair<std::string, std::string>>& values);
  // resource:limit-clear / reserve-clear: `process_type`'s values of `kind`; an empty
  // process_type deletes every resource value of the app, both kinds (Dokku's rule).
  StatusOr<int64_t> ClearResources(const std::string& app, const std::string& process_type,
                                   const std::string& kind);
  // Sorted by process type, kind and key.
  StatusOr<std::vector<ResourceSetting>> ListResources(const std::string& app);

  // ---- docker-options (store_host_config.cc) ----
  // docker-options:add: stores each option (SplitDockerOptions output; each is re-checked) for
  // each phase. process_type other than _default_ only with the deploy phase alone.
  StatusOr<int64_t> AddDockerOptions(const std::string& app, const std::vector<std::string>& phases,
                                     const std::string& process_type,
                                     const std::vector<std::string>& options);
  // docker-options:remove: deletes every stored entry equal word by word to one of `options`.
  StatusOr<int64_t> RemoveDockerOptions(const std::string& app,
                                        const std::vector<std::string>& phases,
                                        const std::string& process_type,
                                        const std::vector<std::string>& options);
  // docker-options:clear: the entries of `phases` (empty: all) of `process_type` ("": any).
  StatusOr<int64_t> ClearDockerOptions(const std::string& app,
                                       const std::vector<std::string>& phases,
                                       const std::string& process_type);
  // Sorted by phase, process type and option.
  StatusOr<std::vector<DockerOption>> ListDockerOptions(const std::string& app);

  // ---- ssh keys (store_ssh_keys.cc) ----
  // Each change runs `publish` with the resulting keys (in insertion order) inside its
  // transaction and commits only when it succeeds, so authorized_keys and the table agree.
  using PublishSshKeys = std::function<Status(const std::vector<SshKey>&)>;
  // Validates the name and the key (fingerprint recomputed); AlreadyExists for a taken name
  // ("Duplicate ssh key name") or fingerprint ("Duplicate ssh public key specified").
  Status AddSshKey(const SshKey& key, const PublishSshKeys& publish);
  StatusOr<std::vector<SshKey>> ListSshKeys();
  // Removes the key named `value` (or with fingerprint `value`); returns how many were removed.
  StatusOr<int> RemoveSshKey(const std::string& value, bool by_fingerprint,
                             const PublishSshKeys& publish);

  // ---- releases ----
  // tags:deploy / ps:rebuild: a new pending release of dokku/<app>:<tag>; the app's desired
  // release.
  StatusOr<Release> CreateRelease(const std::string& app, const std::string& tag,
                                  const std::string& trigger);
  // releases:rollback: a new prepared release reusing release `number`'s image id and files
  // (number 0: the last live release before the current one).
  StatusOr<Release> CreateRollback(const std::string& app, int64_t number);
  StatusOr<Release> GetRelease(int64_t id);
  StatusOr<std::vector<Release>> ListReleases(const std::string& app);
  // The release whose files govern scaling (DOKKU_SCALE, Procfile types): the desired one once
  // dokkud has read its files, else the live one; nullopt when neither.
  StatusOr<std::optional<Release>> GoverningRelease(const App& app);
  // ps:rebuild: a new pending release of the current release's tag. NotFound if never deployed.
  StatusOr<Release> Rebuild(const std::string& app);

  // ---- tags ----
  StatusOr<int64_t> RequestTagOp(const std::string& app, const std::string& op,
                                 const std::string& tag);
  StatusOr<std::vector<TagOp>> PendingTagOps(const std::string& app);
  StatusOr<TagOp> GetTagOp(int64_t id);
  Status FinishTagOp(int64_t id, bool ok, const std::string& error);
  StatusOr<std::vector<ImageTag>> ListImages(const std::string& app);
  Status ReplaceImages(const std::string& app, const std::vector<ImageTag>& tags);

  // ---- requests (checks:run) ----
  StatusOr<int64_t> CreateRequest(const std::string& app, const std::string& kind,
                                  const std::string& args);
  StatusOr<std::vector<Request>> PendingRequests(const std::string& app);
  StatusOr<Request> GetRequest(int64_t id);
  Status FinishRequest(int64_t id, bool ok, const std::string& result);

  // ---- observed state (dokkud) ----
  // Replaces the observed containers of `app` with `containers`.
  Status ReplaceContainers(const std::string& app, const std::vector<ObservedContainer>& cs);
  StatusOr<std::vector<ObservedContainer>> ListContainers(const std::string& app);
  // Marks `generation` as applied with outcome `error` ("" = success). Never moves backwards.
  Status SetObserved(const std::string& app, int64_t generation, const std::string& error);
  Status UpdateRelease(const Release& release);  // status, error, image_id, files, updated_at
  Status SetCurrentRelease(const std::string& app, std::optional<int64_t> release_id);
  // The daemon points the app back at its last live release after a failure (no generation bump).
  Status SetDesiredRelease(const std::string& app, std::optional<int64_t> release_id);
  // A release went live: merge its files into the formation in one transaction (no generation
  // bump). DOKKU_SCALE entries set those quantities (and every other type to 0); Procfile types
  // missing from the formation are added at 0; types the Procfile lacks are dropped when their
  // quantity is 0. `listed` (app.json formation quantities) then sets those types only.
  // Quantities written concurrently by ps:scale are never lost otherwise.
  Status MergeDeployFormation(
      const std::string& app, const std::optional<std::vector<std::string>>& proctypes,
      const std::optional<std::vector<std::pair<std::string, int>>>& dokku_scale,
      const std::vector<std::pair<std::string, int>>& listed = {});
  // Deletes the app row and everything that cascades from it (after its containers are gone).
  Status PurgeApp(const std::string& app);

  Status AddRetirement(const std::string& container_id, const std::string& app,
                       int64_t retire_at_ms);
  Status RemoveRetirement(const std::string& container_id);
  StatusOr<std::vector<Retirement>> ListRetirements();

  // ---- events ----
  Status AppendEvent(const std::string& app, const std::string& level, const std::string& text);
  StatusOr<std::vector<Event>> EventsAfter(const std::string& app, int64_t after_id);
  StatusOr<int64_t> LastEventId();

  // ---- change feed and heartbeat ----
  StatusOr<std::vector<std::pair<int64_t, std::string>>> ChangesAfter(int64_t seq);
  StatusOr<int64_t> LastChangeSeq();
  // Cheap: SQLite's data_version, which moves when another connection commits.
  StatusOr<int64_t> DataVersion();
  Status Heartbeat(int pid, const std::string& version, int64_t started_at_ms);
  // Milliseconds since the last heartbeat, or nullopt if no daemon ever ran.
  StatusOr<std::optional<int64_t>> HeartbeatAgeMs();

  // Who is asking (e.g. "ssh key alice"): appended as " by <actor>" to the trigger of every
  // release this store creates, for the audit trail in `releases` and the deploy log.
  void SetActor(std::string actor) { actor_ = std::move(actor); }

  // For tests and benchmarks.
  SQLite::Database& db() { return *db_; }

 private:
  Store(std::unique_ptr<SQLite::Database> db, const Clock* clock);
  Status Migrate();
  // The new app's row and its web=1 formation; must run inside a write transaction.
  Status InsertApp(const std::string& app);
  // Bumps generation and records a change; must run inside a write transaction.
  int64_t BumpGeneration(const std::string& app);
  StatusOr<std::optional<Release>> CopyApp(const std::string& old_app, const std::string& new_app,
                                           bool deploy, bool rename);

  std::unique_ptr<SQLite::Database> db_;
  const Clock* clock_;
  std::string actor_;
};

}  // namespace dokku
