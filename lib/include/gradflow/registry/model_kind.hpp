#pragma once
// A model kind: everything the commands need to know about one `model.kind`, declared in the
// kind's own source file (lib/src/kinds/) and found by name.
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "gradflow/core/rng.hpp"
#include "gradflow/data/dataset.hpp"
#include "gradflow/model/model.hpp"
#include "gradflow/registry/keys.hpp"
#include "gradflow/registry/registry.hpp"

namespace gradflow {

struct ModelInstance {
  std::unique_ptr<Model> model;
  Vec theta0;
};

class Problem;

/// One large allocation of a problem, for the memory estimate made before anything is built.
struct MemoryTerm {
  std::string key;   ///< the key that makes it large, named when the estimate is refused
  std::string what;  ///< "Z (n x m)"
  double bytes = 0;
};

struct ModelKind {
  std::string name;
  std::string summary;       ///< one line
  std::vector<KeySpec> keys; ///< under [model], besides `kind`
  /// Throws input_error naming the first bad key; `data` gives the sizes to check against.
  std::function<void(const Params&, const Dataset&)> validate = nullptr;
  /// The model bound to the data, and its seeded θ0.
  std::function<ModelInstance(const Params&, const Dataset&, Rng&)> build;
  /// The model's large allocations on n samples of d inputs and k outputs: θ with the
  /// integrators' copies of the state, and its n×width work matrices (null: negligible).
  std::function<std::vector<MemoryTerm>(const Params&, Index n, Index d, Index k)> memory = nullptr;
  /// The infinite-width NTK H∞, where the model has one; λ0 of the theory then comes from it.
  /// An empty matrix when these keys have no limit (mlp's mean_field).
  std::function<Mat(const Params&, const Dataset&)> infinite_kernel = nullptr;
  /// Numbers the `theory` command adds for this kind (widths, kernels, Xu et al.'s rates);
  /// `delta` is the failure probability of the width bounds.
  std::function<void(const Problem&, const Params&, double delta, nlohmann::json&)> theory = nullptr;
  /// Words after the kind in figure headings, from the resolved [model] table: "tanh, m=1000".
  std::function<std::string(const nlohmann::json&)> describe = nullptr;
};

/// [model]: the kind and its resolved keys.
struct ModelSpec {
  std::string kind = "relu2";
  Params params;
  const ModelKind& descriptor() const;
};

inline Registry<ModelKind>& model_kinds() { return Registry<ModelKind>::instance(); }

/// Validates and builds the model of `spec` on `data`.
ModelInstance build_model(const ModelSpec& spec, const Dataset& data, Rng& rng);

}  // namespace gradflow
