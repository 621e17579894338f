#pragma once
// A typed shorthand for the built-in two-layer and linear kinds, for code that builds a
// model without an experiment file (tests, benchmarks). Experiments go through the model
// registry (registry/model_kind.hpp); a new kind needs nothing here.
#include <string>

#include "gradflow/model/init.hpp"
#include "gradflow/registry/model_kind.hpp"

namespace gradflow {

/// Field names match the `[model]` keys of the built-in kinds.
struct ModelOptions {
  std::string kind = "relu2";        ///< a registered model kind
  Index width = 1000;
  std::string activation = "relu";
  double beta = 1.0;
  std::string scaling = "ntk";
  InitOptions init;
  double outer_scale = 1.0;
  double imbalance = 1.0;
  double w1 = 0.5, w2 = 0.5;
};

/// The spec with the fields the kind declares as keys (the others are ignored).
ModelSpec to_spec(const ModelOptions& options);

ModelInstance make_model(const ModelOptions& options, const Dataset& data, Rng& rng);

}  // namespace gradflow
