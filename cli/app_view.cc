#include "cli/app_view.h"

#include <optional>

#include "controller/model/app_json.h"

namespace dokku {

StatusOr<AppView> LoadAppView(Store& store, const std::string& name) {
  AppView view;
  StatusOr<App> app = store.GetApp(name);
  if (!app.ok()) return app.status();
  view.app = *app;
  StatusOr<std::vector<ObservedContainer>> containers = store.ListContainers(name);
  if (!containers.ok()) return containers.status();
  view.containers = *containers;
  size_t running = 0;
  for (const ObservedContainer& c : view.containers) {
    if (c.role != "live") continue;
    view.live.push_back(c);
    if (c.state == "running") ++running;
  }
  view.deployed = view.app.current_release.has_value() || !view.containers.empty();
  if (running > 0) view.running = running == view.live.size() ? "true" : "mixed";
  StatusOr<std::optional<Release>> governing = store.GoverningRelease(view.app);
  if (!governing.ok()) return governing.status();
  view.can_scale = !(*governing && (*governing)->dokku_scale.has_value());
  if (*governing && (*governing)->app_json) {
    StatusOr<AppJson> app_json = ParseAppJson(*(*governing)->app_json);
    if (app_json.ok()) {
      for (const auto& [proc, f] : app_json->formation) {
        if (f.quantity) view.app_json_scaled.push_back(proc);
      }
    }
  }
  return view;
}

}  // namespace dokku
