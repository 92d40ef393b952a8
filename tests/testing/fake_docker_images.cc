// FakeDocker's images, tags and archives (see fake_docker.h).
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "store/ssh_keys.h"
#include "tests/testing/fake_docker.h"

namespace dokku {
namespace {

std::string HexOf(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

// "repo" -> "repo:latest"; a ':' before the last '/' is a registry port, not a tag.
std::string NormalizeRef(std::string ref) {
  const size_t slash = ref.rfind('/');
  const size_t colon = ref.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) {
    ref += ":latest";
  }
  return ref;
}

std::string RepoOf(const std::string& normalized_ref) {
  return normalized_ref.substr(0, normalized_ref.rfind(':'));
}

bool ValidTag(const std::string& tag) {
  if (tag.empty() || tag.size() > 128 || tag[0] == '.' || tag[0] == '-') return false;
  return std::all_of(tag.begin(), tag.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

bool ValidRepo(const std::string& repo) {
  return !repo.empty() && std::all_of(repo.begin(), repo.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || std::strchr("._-/:", c) != nullptr;
  });
}

std::string AbsolutePath(const std::string& path, const std::string& working_dir) {
  if (path.starts_with("/")) return path;
  std::string dir = working_dir.empty() ? "/" : working_dir;
  if (!dir.ends_with("/")) dir += "/";
  return dir + path;
}

}  // namespace

std::string FakeDocker::AddImage(const std::string& ref, ImageInfo info,
                                 const std::map<std::string, std::string>& files,
                                 const std::map<std::string, std::string>& symlinks) {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t seq = next_seq_++;
  if (info.id.empty()) {
    info.id = fmt::format("sha256:{:016x}{:016x}{:016x}{:016x}", 0x1a6e0000u + seq, seq * 7907,
                          seq * 104723, seq * 1299689);
  }
  if (info.created == 0) info.created = clock_->NowSeconds();
  info.repo_tags.clear();
  Image image{info, {}, {}};
  for (const auto& [path, content] : files) {
    image.files[AbsolutePath(path, info.working_dir)] = content;
  }
  for (const auto& [path, target] : symlinks) {
    image.symlinks[AbsolutePath(path, info.working_dir)] = target;
  }
  images_[info.id] = std::move(image);
  if (!ref.empty()) tags_[NormalizeRef(ref)] = info.id;
  return info.id;
}

std::string FakeDocker::ResolveImageLocked(const std::string& ref) const {
  if (ref.empty()) return "";
  if (images_.contains(ref)) return ref;
  if (auto it = tags_.find(NormalizeRef(ref)); it != tags_.end()) return it->second;
  if (auto it = pushed_.find(ref); it != pushed_.end()) return it->second;
  // A short id, with or without "sha256:", as long as it is unambiguous.
  const std::string_view hex = std::string_view(ref).substr(ref.starts_with("sha256:") ? 7 : 0);
  if (hex.empty() || hex.find_first_not_of("0123456789abcdef") != std::string_view::npos) return "";
  std::string found;
  for (const auto& [id, image] : images_) {
    std::string_view bare = id;
    if (bare.starts_with("sha256:")) bare.remove_prefix(7);
    if (!bare.starts_with(hex)) continue;
    if (!found.empty()) return "";
    found = id;
  }
  return found;
}

std::vector<std::string> FakeDocker::TagsOfLocked(const std::string& image_id) const {
  std::vector<std::string> out;
  for (const auto& [ref, id] : tags_) {
    if (id == image_id) out.push_back(ref);
  }
  return out;
}

ImageInfo FakeDocker::ImageInfoLocked(const std::string& image_id) const {
  ImageInfo info = images_.at(image_id).info;
  info.repo_tags = TagsOfLocked(image_id);
  return info;
}

StatusOr<ImageInfo> FakeDocker::InspectImage(const std::string& ref) {
  std::lock_guard<std::mutex> lock(mu_);
  DOKKU_RETURN_IF_ERROR(Record("inspect-image " + ref));
  DOKKU_RETURN_IF_ERROR(Injected("inspect-image", ref));
  const std::string id = ResolveImageLocked(ref);
  if (id.empty()) return Status::NotFound("No such image: " + ref);
  return ImageInfoLocked(id);
}

StatusOr<std::vector<ImageInfo>> FakeDocker::ListImages(const std::string& repo) {
  std::lock_guard<std::mutex> lock(mu_);
  DOKKU_RETURN_IF_ERROR(Record("list-images " + repo));
  DOKKU_RETURN_IF_ERROR(Injected("list-images", repo));
  std::vector<ImageInfo> out;
  for (const auto& [id, image] : images_) {
    const std::vector<std::string> tags = TagsOfLocked(id);
    if (std::none_of(tags.begin(), tags.end(),
                     [&](const std::string& t) { return RepoOf(t) == repo; })) {
      continue;
    }
    ImageInfo info = ImageInfoLocked(id);
    // GET /images/json has no Config: keep callers from relying on it.
    info.cmd.clear();
    info.entrypoint.clear();
    info.working_dir.clear();
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(),
            [](const ImageInfo& a, const ImageInfo& b) { return a.created > b.created; });
  return out;
}

Status FakeDocker::TagImage(const std::string& image, const std::string& repo,
                            const std::string& tag) {
  std::lock_guard<std::mutex> lock(mu_);
  DOKKU_RETURN_IF_ERROR(Record(fmt::format("tag {} {}:{}", image, repo, tag)));
  DOKKU_RETURN_IF_ERROR(Injected("tag", image));
  const std::string id = ResolveImageLocked(image);
  if (id.empty()) return Status::NotFound("No such image: " + image);
  const std::string effective_tag = tag.empty() ? "latest" : tag;
  if (!ValidRepo(repo) || !ValidTag(effective_tag)) {
    return Status::InvalidArgument("invalid reference format: " + repo + ":" + effective_tag);
  }
  const std::string ref = repo + ":" + effective_tag;
  tags_[ref] = id;
  EmitLocked("image", "tag", id, {{"name", ref}});
  return Status::Ok();
}

StatusOr<PushResult> FakeDocker::PushImage(const std::string& repo, const std::string& tag,
                                           const std::string& auth_json) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string ref = repo + ":" + tag;
  DOKKU_RETURN_IF_ERROR(Record("push " + ref));
  DOKKU_RETURN_IF_ERROR(Injected("push", ref));
  auto it = tags_.find(ref);
  if (it == tags_.end()) {
    return Status::FailedPrecondition("An image does not exist locally with the tag: " + repo);
  }
  last_push_auth_ = auth_json;
  const std::string digest = "sha256:" + HexOf(Sha256(it->second + "|" + repo));
  pushed_[repo + "@" + digest] = it->second;
  return PushResult{digest, {fmt::format("{}: digest: {} size: 528", tag, digest)}};
}

Status FakeDocker::CheckRegistryAuth(const std::string& auth_json) {
  std::lock_guard<std::mutex> lock(mu_);
  const nlohmann::json j = nlohmann::json::parse(auth_json, nullptr, false);
  const std::string server = j.is_object() ? j.value("serveraddress", "") : "";
  DOKKU_RETURN_IF_ERROR(Record("auth " + server));
  return Injected("auth", server);
}

std::vector<std::string> FakeDocker::PushedRefs() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [ref, id] : pushed_) out.push_back(ref);
  return out;
}

std::string FakeDocker::last_push_auth() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_push_auth_;
}

Status FakeDocker::RemoveImage(const std::string& ref) {
  std::lock_guard<std::mutex> lock(mu_);
  DOKKU_RETURN_IF_ERROR(Record("remove-image " + ref));
  DOKKU_RETURN_IF_ERROR(Injected("remove-image", ref));
  const std::string id = ResolveImageLocked(ref);
  if (id.empty()) return Status::Ok();  // dockerd: 404; the client: already gone
  std::vector<std::string> tags = TagsOfLocked(id);
  const bool by_tag = tags_.contains(NormalizeRef(ref)) && !images_.contains(ref);
  if (by_tag && tags.size() > 1) {  // only untag
    tags_.erase(NormalizeRef(ref));
    EmitLocked("image", "untag", id, {{"name", NormalizeRef(ref)}});
    return Status::Ok();
  }
  if (!by_tag && tags.size() > 1) {
    return Status::Conflict(fmt::format(
        "conflict: unable to delete {} (must be forced) - image is referenced in multiple "
        "repositories",
        id.substr(7, 12)));
  }
  for (const auto& [cid, c] : containers_) {
    if (c.info.image_id != id) continue;
    return Status::Conflict(fmt::format(
        "conflict: unable to remove repository reference \"{}\" (must force) - container {} is "
        "using its referenced image {}",
        ref, cid.substr(0, 12), id.substr(7, 12)));
  }
  for (const std::string& t : tags) {
    tags_.erase(t);
    EmitLocked("image", "untag", id, {{"name", t}});
  }
  images_.erase(id);
  EmitLocked("image", "delete", id, {{"name", id}});
  return Status::Ok();
}

StatusOr<std::string> FakeDocker::GetArchive(const std::string& id, const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  DOKKU_RETURN_IF_ERROR(Record(fmt::format("archive {} {}", id, path)));
  const Container* c = FindLocked(id);
  DOKKU_RETURN_IF_ERROR(Injected("archive", c != nullptr ? c->info.name : id));
  if (c == nullptr) return Status::NotFound("No such container: " + id);
  return ArchiveLocked(*c, path);
}

StatusOr<std::string> FakeDocker::ArchiveLocked(const Container& c, const std::string& path) const {
  const Status missing = Status::NotFound(
      fmt::format("Could not find the file {} in container {}", path, c.info.name));
  auto image = images_.find(c.info.image_id);
  if (image == images_.end()) return missing;
  std::string p = AbsolutePath(path, "/");
  while (p.size() > 1 && p.ends_with("/")) p.pop_back();
  const std::string base = p == "/" ? "" : p.substr(p.rfind('/') + 1);
  const auto& files = image->second.files;
  const auto& links = image->second.symlinks;
  if (auto f = files.find(p); f != files.end()) return MakeTar({{base, '0', f->second, ""}});
  if (auto l = links.find(p); l != links.end()) return MakeTar({{base, '2', "", l->second}});
  // A directory: every file and link below it, named relative to its parent like dockerd does.
  const std::string prefix = p == "/" ? "/" : p + "/";
  const std::string name_prefix = base.empty() ? "" : base + "/";
  std::vector<TarEntry> entries;
  if (!base.empty()) entries.push_back({name_prefix, '5', "", ""});
  for (const auto& [file, content] : files) {
    if (file.starts_with(prefix)) {
      entries.push_back({name_prefix + file.substr(prefix.size()), '0', content, ""});
    }
  }
  for (const auto& [link, target] : links) {
    if (link.starts_with(prefix)) {
      entries.push_back({name_prefix + link.substr(prefix.size()), '2', "", target});
    }
  }
  if (entries.size() <= (base.empty() ? 0u : 1u)) return missing;
  return MakeTar(entries);
}

}  // namespace dokku
