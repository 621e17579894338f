#include "gradflow/model/factory.hpp"

namespace gradflow {

ModelSpec to_spec(const ModelOptions& o) {
  ModelSpec spec{o.kind, {}};
  const std::map<std::string, KeyValue> fields{
      {"width", static_cast<long>(o.width)}, {"activation", o.activation}, {"beta", o.beta},
      {"scaling", o.scaling},                {"outer_scale", o.outer_scale}, {"init", o.init.scheme},
      {"init_scale", o.init.scale},          {"imbalance", o.imbalance},     {"w1", o.w1},
      {"w2", o.w2}};
  for (const auto& key : spec.descriptor().keys)
    if (const auto it = fields.find(key.name); it != fields.end() && (!key.applies || key.applies(spec.params)))
      spec.params.set(key.name, it->second);
  return spec;
}

ModelInstance make_model(const ModelOptions& o, const Dataset& data, Rng& rng) { return build_model(to_spec(o), data, rng); }

}  // namespace gradflow
