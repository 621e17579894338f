#pragma once
// Adaptive optimisers and their flows on the joint state [θ; accumulators] (docs/theory.md,
// "Adaptive optimisers"). Squares, roots and quotients of vectors are elementwise; g = ∇L(θ).
// Every state starts as adaptive_state(θ0, blocks): the accumulators at zero.
#include "gradflow/discrete/iterate.hpp"
#include "gradflow/flow/system.hpp"

namespace gradflow {

/// [θ0; 0; ...; 0] with `blocks` zero blocks of θ0's size.
Vec adaptive_state(const Vec& theta0, int blocks);

/// AdaGrad on [θ; G]: G ← G + g², θ ← θ − η g/√(G + ε).
Step adagrad(const Objective& objective, double eta, double eps);
/// RMSProp on [θ; v]: v ← ρv + (1 − ρ)g², θ ← θ − η g/√(v + ε).
Step rmsprop(const Objective& objective, double eta, double rho, double eps);
/// AdaDelta (Zeiler 2012, with a learning rate η as in PyTorch) on [θ; v; u]:
/// v ← ρv + (1 − ρ)g², d = √(u + ε)/√(v + ε) g, u ← ρu + (1 − ρ)d², θ ← θ − η d.
Step adadelta(const Objective& objective, double eta, double rho, double eps);
/// Adam (Kingma & Ba 2015) on [θ; m; v]: m ← β1 m + (1 − β1)g, v ← β2 v + (1 − β2)g²,
/// θ ← θ − η m̂/(√v̂ + ε) with m̂ = m/(1 − β1^{k+1}), v̂ = v/(1 − β2^{k+1}) after step k
/// (m̂ = m, v̂ = v without bias correction).
Step adam(const Objective& objective, double eta, double beta1, double beta2, double eps, bool bias_correction);

/// The AdaGrad flow θ̇ = −g/√(G + ε), Ġ = g².
System adagrad_flow(const Objective& objective, double eps);
/// The RMSProp flow θ̇ = −g/√(v + ε), v̇ = b(g² − v).
System rmsprop_flow(const Objective& objective, double b, double eps);
/// The AdaDelta flow θ̇ = −d, d = √(u + ε)/√(v + ε) g, v̇ = b(g² − v), u̇ = b(d² − u).
System adadelta_flow(const Objective& objective, double b, double eps);
/// The Adam flow θ̇ = −m̂/(√v̂ + ε), ṁ = a(g − m), v̇ = b(g² − v); with bias correction
/// m̂ = m/(1 − e^{−at}) and v̂ = v/(1 − e^{−bt}) (their limits g and g² at t = 0), else m̂ = m, v̂ = v.
System adam_flow(const Objective& objective, double a, double b, double eps, bool bias_correction);

}  // namespace gradflow
