// Reads an app's Procfile, CHECKS, DOKKU_SCALE and app.json out of an image through a never-started
// "probe" container (labels com.dokku.role=probe, com.dokku.probe-for=<app>), which is always
// removed again, also on error.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "controller/docker/docker_api.h"
#include "store/status.h"

namespace dokku {

struct AppFiles {
  std::optional<std::string> procfile;
  std::optional<std::string> checks;
  std::optional<std::string> dokku_scale;
  std::optional<std::string> app_json;
};

// Files are looked up under `working_dir` (the image's WorkingDir; "" means "/"); the Procfile
// at `procfile_path` relative to it ("" means "Procfile"; ".." segments are InvalidArgument). A
// symlink is followed once (relative to its directory; absolute targets stay inside the image).
// app.json likewise at `app_json_path` ("" means "app.json"). A missing file is nullopt. Errors: a
// file over 64 KiB, not a regular file, or a symlink to a symlink (InvalidArgument); Docker errors
// as DockerApi reports them. `probe_name` is the probe container's name; if it is taken by a
// leftover probe, that one is removed first.
StatusOr<AppFiles> ReadAppFiles(DockerApi* docker, const std::string& image_id,
                                const std::string& working_dir, const std::string& procfile_path,
                                const std::string& probe_name, const std::string& app = "",
                                const std::string& app_json_path = "");

// Lexically normalises an absolute path: collapses "//", "." and ".." (never above "/").
std::string NormalizeImagePath(std::string_view path);

}  // namespace dokku
