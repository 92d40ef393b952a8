// Dynamic upstreams for the nginx proxy: which containers serve an app is changed in the
// running nginx, without a reload.
//
// Why: `nginx -s reload` makes the old workers close every idle keep-alive connection, and a
// request a client already sent on such a connection is lost (issue 12 measured 200 of 92,150
// requests of 20 keep-alive clients failing over 10 reloads of an nginx doing nothing else).
// Browsers, load balancers, CDNs and API clients keep connections open, so a deploy that reloads
// nginx drops some of their requests. Dokku has the same failure.
//
// How: Debian's nginx with libnginx-mod-http-lua (and lua-resty-core). Every app's upstream has
// a `balancer_by_lua_block` that picks the peer from a `lua_shared_dict`; dokkud writes the
// peer list into that dictionary through a control `server` listening only on a unix socket
// (a root/dokku-only directory, never TCP). This is what ingress-nginx does for endpoint
// changes. A reload is left only for changes of server blocks (first deploy, domains, listen
// address, destroy). HAProxy's runtime API was the other candidate; it would add a second proxy
// next to the nginx that Dokku users already run and configure.
//
// Restarts: after an nginx restart the dictionary is empty. The balancer then uses the peers
// written into the app's file, which dokkud rewrites (without a reload) before every update of
// the dictionary, so that fallback is always the last list dokkud decided on: a restarted nginx
// never sends a request to a container dokkud already moved traffic away from. It does not
// return 502 for an empty dictionary either (the safe list is known, so nothing is lost by
// guessing). Both lists carry a generation and the newer one wins, so a failed push that dokkud
// makes good with a reload is not overridden by an older dictionary entry. dokkud notices the
// restart (a per-daemon token in the dictionary is missing) and feeds every app again.
//
// Drain: the balancer counts requests in flight per peer (GET /active/<ip:port>), so the
// reconciler can wait for an old container to finish its requests before it is stopped.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dokku {

struct Upstream;

// The name of the file (in the conf dir) holding the shared dictionaries, the lua code and the
// control server. App names start with [a-z0-9], so it cannot clash with `<app>.conf`.
inline constexpr char kNginxControlConfName[] = "_dokkud-control.conf";

// The http-context configuration: shared dictionaries, the balancer code and a server
// listening on `unix:<socket_path>` only. `socket_path` must be absolute and contain no
// whitespace, ';', '{', '}', quotes or '$' (checked by IsValidControlSocketPath).
std::string RenderNginxControlConf(const std::string& socket_path);
bool IsValidControlSocketPath(const std::string& socket_path);

// "ip:port ip:port" of validated upstreams, in the given order: the body of PUT /peers/<app>
// and the fallback list written into the app's file.
std::string PeerList(const std::vector<Upstream>& upstreams);

// The line of an app's file that carries its peers and their generation (dokkud's clock in ms
// when it chose them, increasing per app); everything else is the file's structure (a change
// there needs a reload, a change of this line does not). The balancer uses the dictionary's
// list only when its generation is at least the file's.
std::string BalancerLine(const std::string& app, int64_t generation, const std::string& peers);
// Reads back the generation and peers of the balancer line in `conf`; false if there is none.
bool ParseBalancerLine(const std::string& conf, int64_t* generation, std::string* peers);
// `conf` without its balancer line.
std::string ConfStructure(const std::string& conf);

}  // namespace dokku
