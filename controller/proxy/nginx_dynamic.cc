// Dynamic upstreams: the control configuration and the pieces of an app's file that carry peers.
#include "controller/proxy/nginx_dynamic.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdint>
#include <string_view>

#include "controller/proxy/nginx_proxy.h"

namespace dokku {
namespace {

// Lua for nginx 1.22 + lua-nginx-module 0.10 (Debian 12). Kept in one init_by_lua_block so the
// functions exist in every worker; the per-request work is a shared-dict get, a cached parse
// and two counter updates.
//  - dokkud.balance(app, gen, fallback): round robin over the peers in the dictionary (or, when
//    the dictionary has none for the app or an older one, e.g. right after an nginx restart,
//    over `fallback`, the list in the app's file); a failed peer is retried on the next one
//    (set_more_tries), as proxy_next_upstream did with a static upstream. Counts the request on its
//    peer.
//  - dokkud.done(): log phase; the request no longer counts on its peer.
//  - dokkud.control(): the control API (unix socket only):
//      GET/PUT /peers/<app>   the peer list ("ip:port ip:port"; empty deletes)
//      GET /active/<ip:port>  requests in flight on that peer
//      GET/PUT /fed           the token of the dokkud that last fed every app
constexpr std::string_view kControlConf =
    R"conf(# Written by dokkud: dynamic upstreams (controller/proxy/nginx_dynamic.h). Changes are overwritten.
lua_shared_dict dokkud_peers 4m;
lua_shared_dict dokkud_active 1m;
init_by_lua_block {
  local balancer = require "ngx.balancer"
  local peer_dict = ngx.shared.dokkud_peers
  local active = ngx.shared.dokkud_active
  local parsed = {}
  local turns = {}

  local function parse(raw)
    local list = {}
    for ip, port in string.gmatch(raw, "(%d+%.%d+%.%d+%.%d+):(%d+)") do
      list[#list + 1] = { ip, tonumber(port), ip .. ":" .. port }
    end
    return list
  end

  -- The dictionary holds "<generation> <peers>"; the app's file passes its own generation and
  -- peers. The newer wins: an empty dictionary (nginx restarted) or a push that failed while a
  -- reload succeeded both leave the file's list in charge.
  local function peers_of(app, gen, fallback)
    local stored = peer_dict:get(app)
    local cached = parsed[app]
    if cached ~= nil and cached.stored == stored and cached.gen == gen then
      return cached.list
    end
    local raw = fallback
    if stored ~= nil then
      local stored_gen, stored_peers = string.match(stored, "^(%d+) (.*)$")
      if stored_gen ~= nil and tonumber(stored_gen) >= gen then raw = stored_peers end
    end
    cached = { stored = stored, gen = gen, list = parse(raw) }
    parsed[app] = cached
    return cached.list
  end

  local function leave(ctx)
    if ctx.dokkud_peer ~= nil then
      active:incr(ctx.dokkud_peer, -1)
      ctx.dokkud_peer = nil
    end
  end

  dokkud = {}

  function dokkud.balance(app, gen, fallback)
    local ctx = ngx.ctx
    local list = ctx.dokkud_list
    if list == nil then
      list = peers_of(app, gen, fallback)
      if #list == 0 then
        ngx.log(ngx.ERR, "dokkud: no peers for ", app)
        return ngx.exit(502)
      end
      ctx.dokkud_list = list
      local turn = (turns[app] or 0) + 1
      turns[app] = turn
      ctx.dokkud_turn = turn
      if #list > 1 then balancer.set_more_tries(#list - 1) end
    else
      leave(ctx)
      ctx.dokkud_turn = ctx.dokkud_turn + 1
    end
    local peer = list[ctx.dokkud_turn % #list + 1]
    local ok, err = balancer.set_current_peer(peer[1], peer[2])
    if not ok then
      ngx.log(ngx.ERR, "dokkud: cannot use ", peer[3], ": ", err)
      return ngx.exit(502)
    end
    active:incr(peer[3], 1, 0)
    ctx.dokkud_peer = peer[3]
  end

  function dokkud.done()
    leave(ngx.ctx)
  end

  -- Stores one control-API value; 507 with the dict's reason when the zone is full.
  local function put(key, value)
    local ok, err = peer_dict:safe_set(key, value)
    if not ok then
      ngx.status = 507
      return ngx.print(err)
    end
    return ngx.print("ok")
  end

  function dokkud.control()
    local method = ngx.req.get_method()
    local uri = ngx.var.uri
    local app = string.match(uri, "^/peers/([a-z0-9][a-z0-9._-]*)$")
    if app ~= nil and method == "GET" then
      local raw = peer_dict:get(app)
      if raw == nil then return ngx.exit(404) end
      return ngx.print(raw)
    end
    if app ~= nil and method == "PUT" then
      ngx.req.read_body()
      local body = ngx.req.get_body_data() or ""
      if body ~= "" and string.match(body, "^%d+ [0-9.: ]*$") == nil then
        return ngx.exit(400)
      end
      if #parse(body) == 0 then
        peer_dict:delete(app)
        return ngx.print("deleted")
      end
      return put(app, body)
    end
    local peer = string.match(uri, "^/active/(%d+%.%d+%.%d+%.%d+:%d+)$")
    if peer ~= nil and method == "GET" then
      return ngx.print(active:get(peer) or 0)
    end
    if uri == "/fed" and method == "GET" then
      return ngx.print(peer_dict:get("/fed") or "")
    end
    if uri == "/fed" and method == "PUT" then
      ngx.req.read_body()
      return put("/fed", ngx.req.get_body_data() or "")
    end
    return ngx.exit(404)
  end
}
server {
  listen unix:@SOCKET@;
  access_log off;
  client_body_buffer_size 64k;
  client_max_body_size 64k;
  location / {
    content_by_lua_block { dokkud.control() }
  }
}
map $http_upgrade $dokkud_connection {
  default upgrade;
  "" "";
}
)conf";

}  // namespace

bool IsValidControlSocketPath(const std::string& socket_path) {
  // sockaddr_un.sun_path is 108 bytes; nginx also pastes the path into "unix:<path>".
  if (socket_path.size() < 2 || socket_path.size() > 100 || socket_path[0] != '/') return false;
  return std::all_of(socket_path.begin(), socket_path.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
           c == '.' || c == '_' || c == '-';
  });
}

std::string RenderNginxControlConf(const std::string& socket_path) {
  std::string out(kControlConf);
  const std::string token = "@SOCKET@";
  const size_t at = out.find(token);
  out.replace(at, token.size(), socket_path);
  return out;
}

std::string PeerList(const std::vector<Upstream>& upstreams) {
  std::vector<std::string> peers;
  peers.reserve(upstreams.size());
  for (const Upstream& u : upstreams) peers.push_back(fmt::format("{}:{}", u.ip, u.port));
  return fmt::format("{}", fmt::join(peers, " "));
}

std::string BalancerLine(const std::string& app, int64_t generation, const std::string& peers) {
  return fmt::format("    dokkud.balance(\"{}\", {}, \"{}\")\n", app, generation, peers);
}

bool ParseBalancerLine(const std::string& conf, int64_t* generation, std::string* peers) {
  const std::string_view prefix = "    dokkud.balance(\"";
  size_t at = conf.find(prefix);
  if (at == std::string::npos) return false;
  at = conf.find("\", ", at + prefix.size());
  if (at == std::string::npos) return false;
  at += 3;
  int64_t gen = 0;
  size_t digits = 0;
  while (at < conf.size() && conf[at] >= '0' && conf[at] <= '9' && digits < 18) {
    gen = gen * 10 + (conf[at++] - '0');
    ++digits;
  }
  if (digits == 0 || conf.compare(at, 3, ", \"") != 0) return false;
  at += 3;
  const size_t end = conf.find('"', at);
  if (end == std::string::npos) return false;
  *generation = gen;
  *peers = conf.substr(at, end - at);
  return true;
}

std::string ConfStructure(const std::string& conf) {
  std::string out;
  size_t pos = 0;
  while (pos < conf.size()) {
    size_t end = conf.find('\n', pos);
    end = end == std::string::npos ? conf.size() : end + 1;
    const std::string_view line(conf.data() + pos, end - pos);
    if (line.rfind("    dokkud.balance(", 0) != 0) out.append(line);
    pos = end;
  }
  return out;
}

}  // namespace dokku
