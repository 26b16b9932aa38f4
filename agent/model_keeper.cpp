#include "agent/model_keeper.h"

#include <algorithm>
#include <fstream>
#include <stdexcept>
#include <utility>

namespace understudy {
namespace {

std::unique_ptr<Policy> LoadCheckpoint(const ModelRegistry& registry, const PolicyLoader& loader,
                                       std::uint64_t id) {
  if (!loader) {
    throw std::invalid_argument("no policy loader: cannot read " + ModelRegistry::DirName(id));
  }
  registry.VerifyCheckpoint(id);
  const std::filesystem::path file = registry.CheckpointPath(id);
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open checkpoint '" + file.string() + "'");
  std::unique_ptr<Policy> policy;
  try {
    policy = loader(in);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot load " + ModelRegistry::DirName(id) + " from '" +
                             file.string() + "': " + e.what());
  }
  if (!policy) throw std::runtime_error("the loader returned no policy for " + file.string());
  return policy;
}

ModelRegistry::CheckpointWriter Writer(const Policy& policy) {
  return [&policy](const std::filesystem::path& file) {
    std::ofstream out(file, std::ios::binary);
    policy.Save(out);
    out.flush();
    if (!out) throw std::runtime_error("cannot write checkpoint '" + file.string() + "'");
  };
}

std::uint64_t Newest(const ModelRegistry& registry) {
  std::uint64_t newest = 0;
  for (const ModelMeta& m : registry.List()) newest = std::max(newest, m.id);
  return newest;
}

}  // namespace

std::string ServingPolicy::Tag(const std::string& name, std::uint64_t version) {
  return name + ":" + ModelRegistry::DirName(version);
}

ModelKeeper::ModelKeeper(const std::filesystem::path& registry_dir, PolicyLoader loader)
    : loader_(std::move(loader)) {
  if (!registry_dir.empty()) registry_ = std::make_unique<ModelRegistry>(registry_dir);
}

std::uint64_t ModelKeeper::ServeLocked(std::unique_ptr<Policy> policy, std::uint64_t version) {
  auto served = std::make_shared<const ServingPolicy>(std::move(policy), version);
  tags_[version] = served->tag();
  newest_ = std::max(newest_, version);
  slot_.Swap(std::move(served), version);
  return version;
}

std::uint64_t ModelKeeper::Start(std::unique_ptr<Policy> initial, const std::string& note) {
  std::lock_guard<std::mutex> lock(mu_);
  if (slot_.Get()) throw std::logic_error("ModelKeeper::Start called twice");
  if (!registry_) {
    if (!initial) throw std::invalid_argument("ModelKeeper::Start: no initial policy");
    return ServeLocked(std::move(initial), next_memory_id_++);
  }
  if (const std::optional<std::uint64_t> serving = registry_->serving()) {
    std::unique_ptr<Policy> policy = LoadCheckpoint(*registry_, loader_, *serving);
    resumed_ = true;
    newest_ = Newest(*registry_);
    return ServeLocked(std::move(policy), *serving);
  }
  if (!initial) throw std::invalid_argument("ModelKeeper::Start: no initial policy");
  ModelDraft draft;
  draft.note = note;
  const ModelMeta meta = registry_->Register(draft, Writer(*initial));
  registry_->Promote(meta.id, note);
  newest_ = Newest(*registry_);
  return ServeLocked(std::move(initial), meta.id);
}

std::optional<std::uint64_t> ModelKeeper::Promote(std::unique_ptr<Policy> challenger,
                                                  std::uint64_t expected_champion,
                                                  const std::optional<HeldOutScore>& held_out,
                                                  std::uint64_t examples_seen,
                                                  std::uint64_t updates, const std::string& note) {
  if (!challenger) throw std::invalid_argument("ModelKeeper::Promote: null challenger");
  std::lock_guard<std::mutex> lock(mu_);
  const auto current = slot_.Get();
  if (!current || current->version != expected_champion) return std::nullopt;
  std::uint64_t id = 0;
  if (registry_) {
    ModelDraft draft;
    draft.parent = expected_champion;
    draft.held_out = held_out;
    draft.examples_seen = examples_seen;
    draft.updates = updates;
    draft.note = note;
    id = registry_->Register(draft, Writer(*challenger)).id;
    registry_->Promote(id, note);
    newest_ = std::max(newest_, id);
  } else {
    id = next_memory_id_++;
  }
  ++promotions_;
  return ServeLocked(std::move(challenger), id);
}

RollbackOutcome ModelKeeper::Rollback(std::uint64_t id, const std::string& note) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!registry_) {
    throw std::invalid_argument(
        "rollback needs a model registry (serve --registry DIR); this engine keeps versions in "
        "memory only");
  }
  registry_->Reload();  // versions another process registered, and its rollbacks
  // Load before persisting: a checkpoint that does not load must leave everything as it was.
  std::unique_ptr<Policy> policy = LoadCheckpoint(*registry_, loader_, id);
  RollbackOutcome out;
  const auto current = slot_.Get();
  out.previous = current ? current->version : 0;
  registry_->Rollback(id, note);
  newest_ = std::max(newest_, Newest(*registry_));
  out.serving = ServeLocked(std::move(policy), id);
  out.newest = newest_;
  ++rollbacks_;
  return out;
}

std::uint64_t ModelKeeper::serving_version() const {
  const auto current = slot_.Get();
  return current ? current->version : 0;
}

std::uint64_t ModelKeeper::newest_version() const {
  std::lock_guard<std::mutex> lock(mu_);
  return newest_;
}

std::string ModelKeeper::TagOf(std::uint64_t version) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = tags_.find(version);
  return it == tags_.end() ? ModelRegistry::DirName(version) : it->second;
}

std::uint64_t ModelKeeper::promotions() const {
  std::lock_guard<std::mutex> lock(mu_);
  return promotions_;
}

std::uint64_t ModelKeeper::rollbacks() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rollbacks_;
}

}  // namespace understudy
