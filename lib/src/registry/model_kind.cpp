#include "gradflow/registry/model_kind.hpp"

namespace gradflow {

const ModelKind& ModelSpec::descriptor() const { return model_kinds().get(kind, "model.kind"); }

ModelInstance build_model(const ModelSpec& spec, const Dataset& data, Rng& rng) {
  const ModelKind& kind = spec.descriptor();
  if (kind.validate) kind.validate(spec.params, data);
  return kind.build(spec.params, data, rng);
}

}  // namespace gradflow
