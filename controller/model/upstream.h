// Upstream: one address the proxy sends an app's requests to. Schedulers produce them, the proxy
// consumes them; neither needs the other's header for it.
#pragma once

#include <string>

namespace dokku {

struct Upstream {
  std::string ip;  // dotted quad
  int port = 0;    // 1..65535
};

}  // namespace dokku
