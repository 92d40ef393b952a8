#include "controller/docker/image_files.h"

#include <fmt/format.h>

#include <vector>

#include "controller/model/tar_reader.h"
#include "controller/model/text_file.h"

namespace dokku {
namespace {

constexpr const char* kRoleLabel = "com.dokku.role";
constexpr const char* kProbeForLabel = "com.dokku.probe-for";

// Removes the probe container however ReadAppFiles returns.
class ProbeGuard {
 public:
  ProbeGuard(DockerApi* docker, std::string id) : docker_(docker), id_(std::move(id)) {}
  ProbeGuard(const ProbeGuard&) = delete;
  ProbeGuard& operator=(const ProbeGuard&) = delete;
  ~ProbeGuard() {
    // A failed removal leaves a stopped, never-started container; the reconciler ignores it
    // (role=probe) and the next probe under this name removes it.
    (void)docker_->RemoveContainer(id_);
  }

 private:
  DockerApi* docker_;
  std::string id_;
};

StatusOr<std::string> CreateProbe(DockerApi* docker, const std::string& image_id,
                                  const std::string& probe_name, const std::string& app) {
  ContainerSpec spec;
  spec.name = probe_name;
  spec.image = image_id;
  spec.cmd = {"/bin/true"};  // never run, but images without CMD need one to be created
  spec.labels[kRoleLabel] = "probe";
  if (!app.empty()) spec.labels[kProbeForLabel] = app;
  spec.init = false;
  StatusOr<std::string> id = docker->CreateContainer(spec);
  if (id.ok() || !id.status().IsConflict()) return id;
  // The name is taken: a probe left behind by a crash is removed; anything else is not ours.
  StatusOr<ContainerInfo> existing = docker->InspectContainer(probe_name);
  if (!existing.ok()) return id;
  auto role = existing->labels.find(kRoleLabel);
  if (role == existing->labels.end() || role->second != "probe") return id;
  DOKKU_RETURN_IF_ERROR(docker->RemoveContainer(existing->id));
  return docker->CreateContainer(spec);
}

std::string_view DirName(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string_view::npos ? "/" : path.substr(0, slash);
}

// The content of the regular file at `path`, following one symlink; nullopt when missing.
StatusOr<std::optional<std::string>> ReadImageFile(DockerApi* docker, const std::string& id,
                                                   std::string path, std::string_view label) {
  for (int hop = 0; hop < 2; ++hop) {
    StatusOr<std::string> archive = docker->GetArchive(id, path);
    if (archive.status().IsNotFound()) return std::optional<std::string>();
    if (!archive.ok()) return archive.status();
    StatusOr<std::vector<TarEntry>> entries = ReadTar(*archive, archive->size());
    if (!entries.ok()) {
      return Status::InvalidArgument(
          fmt::format("reading {} from the image: {}", label, entries.status().message()));
    }
    if (entries->empty()) {
      return Status::InvalidArgument(
          fmt::format("reading {} from the image: empty archive", label));
    }
    TarEntry& entry = entries->front();
    if (entry.type == '2') {
      if (hop > 0)
        return Status::InvalidArgument(fmt::format("{} is a symlink to a symlink", label));
      path = NormalizeImagePath(entry.link_target.starts_with("/")
                                    ? entry.link_target
                                    : fmt::format("{}/{}", DirName(path), entry.link_target));
      continue;
    }
    if (entry.type != '0' && entry.type != '7') {
      return Status::InvalidArgument(fmt::format("{} in the image is not a regular file", label));
    }
    if (entry.data.size() > kMaxAppFileSize) {
      return Status::InvalidArgument(fmt::format("{} is larger than 64 KiB", label));
    }
    return std::optional<std::string>(std::move(entry.data));
  }
  return Status::Internal("unreachable");
}

// A path property (procfile-path, appjson-path): relative to the app directory, leading and
// trailing '/' trimmed, `fallback` when empty.
StatusOr<std::string> CleanAppPath(std::string_view path, const char* fallback, const char* what) {
  while (path.starts_with("/")) path.remove_prefix(1);
  while (path.ends_with("/")) path.remove_suffix(1);
  if (path.empty()) return std::string(fallback);
  std::string_view rest = path;
  while (!rest.empty()) {
    const size_t slash = rest.find('/');
    if (rest.substr(0, slash) == "..") {
      return Status::InvalidArgument(
          fmt::format("{} path \"{}\" must stay inside the app directory", what, path));
    }
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
  return std::string(path);
}

}  // namespace

std::string NormalizeImagePath(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    const size_t slash = path.find('/');
    const std::string_view part = path.substr(0, slash);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
  }
  std::string out;
  for (std::string_view part : parts) fmt::format_to(std::back_inserter(out), "/{}", part);
  return out.empty() ? "/" : out;
}

StatusOr<AppFiles> ReadAppFiles(DockerApi* docker, const std::string& image_id,
                                const std::string& working_dir, const std::string& procfile_path,
                                const std::string& probe_name, const std::string& app,
                                const std::string& app_json_path) {
  StatusOr<std::string> procfile_rel = CleanAppPath(procfile_path, "Procfile", "Procfile");
  if (!procfile_rel.ok()) return procfile_rel.status();
  StatusOr<std::string> app_json_rel = CleanAppPath(app_json_path, "app.json", "app.json");
  if (!app_json_rel.ok()) return app_json_rel.status();
  const std::string dir = NormalizeImagePath(working_dir);
  const auto under_dir = [&](std::string_view name) {
    return NormalizeImagePath(fmt::format("{}/{}", dir, name));
  };

  StatusOr<std::string> probe_id = CreateProbe(docker, image_id, probe_name, app);
  if (!probe_id.ok()) return probe_id.status();
  ProbeGuard guard(docker, *probe_id);

  AppFiles files;
  struct Wanted {
    std::string path;
    std::string label;
    std::optional<std::string>* target;
  };
  const Wanted wanted[] = {{under_dir(*procfile_rel), *procfile_rel, &files.procfile},
                           {under_dir("CHECKS"), "CHECKS", &files.checks},
                           {under_dir("DOKKU_SCALE"), "DOKKU_SCALE", &files.dokku_scale},
                           {under_dir(*app_json_rel), *app_json_rel, &files.app_json}};
  for (const Wanted& w : wanted) {
    StatusOr<std::optional<std::string>> content =
        ReadImageFile(docker, *probe_id, w.path, w.label);
    if (!content.ok()) return content.status();
    *w.target = std::move(*content);
  }
  return files;
}

}  // namespace dokku
