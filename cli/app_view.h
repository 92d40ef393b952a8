// AppView: an app's desired row plus what dokkud last observed, summarised the way Dokku's
// reports and ps commands need it (deployed, process count, running true/false/mixed).
#pragma once

#include <string>
#include <vector>

#include "store/status.h"
#include "store/store.h"

namespace dokku {

struct AppView {
  App app;
  std::vector<ObservedContainer> containers;  // every role, as stored
  std::vector<ObservedContainer> live;        // role "live" only
  bool deployed = false;                      // a live release, or any container
  std::string running = "false";              // over live containers: true | false | mixed
  bool can_scale = true;  // false while the governing release ships a DOKKU_SCALE file
  // Process types whose quantity the governing release's app.json formation sets.
  std::vector<std::string> app_json_scaled;
};

// NotFound "App <app> does not exist" for missing apps.
StatusOr<AppView> LoadAppView(Store& store, const std::string& app);

}  // namespace dokku
