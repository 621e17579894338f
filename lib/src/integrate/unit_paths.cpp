#include "unit_paths.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "event_math.hpp"

namespace gradflow::detail {

namespace {

constexpr int kCoefs = 7;  ///< of δw(s): the pushes' integrals have degree 6
using Coefs = Eigen::Matrix<double, 1, kCoefs>;

/// Σ_k D(:, k) s^k.
Vec at(const Mat& D, double s) {
  Vec v = D.col(D.cols() - 1);
  for (Index k = D.cols() - 2; k >= 0; --k) v = v * s + D.col(k);
  return v;
}

/// The samples of `touched` whose activity (mode +1) differs from the pattern's.
void differences(const std::vector<Index>& touched, const std::vector<signed char>& M, const signed char* P,
                 std::vector<std::pair<Index, signed char>>& out) {
  out.clear();
  for (const Index i : touched) {
    const bool now = M[i] == kActive, was = P[i] == kActive;
    if (now != was) out.emplace_back(i, now ? 1 : -1);
  }
}

}  // namespace

Poly operator*(const Poly& a, const Poly& b) {
  Poly p;
  for (int i = 0; i < Poly::N; ++i) {
    if (a.c[i] == 0.0) continue;
    for (int j = 0; i + j < Poly::N; ++j) p.c[i + j] += a.c[i] * b.c[j];
  }
  return p;
}

std::optional<double> first_below(const Poly& p, double a, double b, double eps) {
  auto g = [&](double s) { return p(s) + eps; };
  const double ga = g(a);
  if (ga < 0) return a;
  if (!(b > a)) return std::nullopt;
  constexpr int pieces = 16;
  const double w = (b - a) / pieces, tol = 1e-13 + 4 * std::numeric_limits<double>::epsilon() * b;
  double u = a, gu = ga, du = p.slope(a);
  for (int k = 1; k <= pieces; ++k) {
    const double v = k == pieces ? b : a + k * w;
    const double gv = g(v), dv = p.slope(v);
    if (gv < 0) return illinois(g, u, gu, v, gv, tol);
    // Falling at u, rising at v: a dip in between, deep enough to reach below?
    if (du < 0 && dv > 0 && std::min(gu, gv) < 0.25 * (dv - du) * (v - u)) {
      double lo = u, hi = v;
      for (int it = 0; it < 60 && hi - lo > 1e-15; ++it) {
        const double mid = 0.5 * (lo + hi);
        (p.slope(mid) < 0 ? lo : hi) = mid;
      }
      const double gm = g(hi);
      if (gm < 0) return illinois(g, u, gu, hi, gm, tol);
    }
    u = v;
    gu = gv;
    du = dv;
  }
  return std::nullopt;
}

void Slide::build(const Mat& X) {
  const Index k = static_cast<Index>(samples.size()), d = X.cols();
  XS.resize(k, d);
  for (Index j = 0; j < k; ++j) XS.row(j) = X.row(samples[j]);
  if (k == 0) {
    Q.resize(0, d);
    gram.compute(Mat(0, 0));
    return;
  }
  Eigen::HouseholderQR<Mat> qr(XS.transpose());
  Q = (qr.householderQ() * Mat::Identity(d, std::min(k, d))).transpose();
  gram.compute(XS * XS.transpose());
}

void StepShared::set_residual(const Vec& r0, const Vec& rdot0, const Vec& rmid, const Vec& r1, const Vec& rdot1) {
  // The quartic through r(0), r'(0), r(1/2), r(1), r'(1) (derivatives in s: h ṙ).
  const Index n = r0.size();
  E.resize(n, 5);
  E.col(0) = r0;
  E.col(1) = h * rdot0;
  const Vec R1 = rmid - r0 - 0.5 * E.col(1), R2 = r1 - r0 - E.col(1), R3 = h * rdot1 - E.col(1);
  E.col(2) = 16 * R1 - 5 * R2 + R3;
  E.col(3) = -32 * R1 + 14 * R2 - 3 * R3;
  E.col(4) = 16 * R1 - 8 * R2 + 2 * R3;
  EI = Mat::Zero(n, 6);
  EI1 = Mat::Zero(n, 7);
  for (Index k = 0; k < 5; ++k) {
    EI.col(k + 1) = E.col(k) / double(k + 1);
    EI1.col(k + 2) = E.col(k) / double(k + 2);
  }
}

Poly StepShared::push(Index i, Index r) const {
  const double a = g0(r), b = g1(r) - g0(r);
  Poly p;
  for (int k = 0; k < 5; ++k) {
    p.c[k] += a * E(i, k);
    p.c[k + 1] += b * E(i, k);
  }
  return p;
}

Poly StepShared::push_integral(Index i, Index r) const {
  const double a = h * g0(r), b = h * (g1(r) - g0(r));
  Poly p;
  for (int k = 0; k < 6; ++k) p.c[k] = a * EI(i, k);
  for (int k = 0; k < 7; ++k) p.c[k] += b * EI1(i, k);
  return p;
}

Poly StepShared::base(Index i, Index r) const {
  const double h0 = (*Z0)(i, r), D0 = (*Zd0)(i, r) * h, h1 = (*Z1)(i, r), D1 = (*Zd1)(i, r) * h;
  Poly p;
  p.c[0] = h0;
  p.c[1] = D0;
  p.c[2] = 3 * (h1 - h0) - 2 * D0 - D1;
  p.c[3] = 2 * (h0 - h1) + D0 + D1;
  return p;
}

const UnitPiece& UnitPath::piece_at(double s) const {
  for (std::size_t k = pieces.size(); k-- > 1;)
    if (pieces[k].a <= s) return pieces[k];
  return pieces.front();
}

Poly UnitPath::base(const StepShared& S, Index i, double s) const {
  for (const Rebase& b : rebased)
    if (b.i == i && b.s <= s) return b.z;
  return S.base(i, r);
}

signed char UnitPath::mode_at(Index i, double s, const signed char* modes) const {
  signed char m = modes[i];
  for (const UnitSwitch& sw : switches) {
    if (sw.s > s) break;
    if (sw.i == i) m = sw.to;
  }
  return m;
}

UnitPath trace_unit(const StepShared& S, Index r, const signed char* P, const Slide& slide) {
  const Mat& X = *S.X;
  const Vec& xn = *S.xnorm;
  const Index n = X.rows(), d = X.cols();
  UnitPath path;
  path.r = r;
  const double wn = S.wnorm(r);
  auto eps = [&](Index i) { return S.z_tol * xn(i) * wn + 1e-300; };
  // How far each pair's base path stays on the pattern's side, at least: pairs further than the
  // deviation can move them are not searched for crossings. The Hermite cubic is its chord plus
  // s(1 − s)((1 − s)(D0 − Δ) − s(D1 − Δ)), Δ = h1 − h0, which is at most (4/27)(|D0 − Δ| + |D1 − Δ|).
  Eigen::ArrayXd reach(n);
  {
    Eigen::ArrayXd sg(n);
    for (Index i = 0; i < n; ++i) sg(i) = P[i];
    const Eigen::ArrayXd h0 = sg * S.Z0->col(r).array(), h1 = sg * S.Z1->col(r).array();
    const Eigen::ArrayXd D0 = sg * S.Zd0->col(r).array() * S.h, D1 = sg * S.Zd1->col(r).array() * S.h;
    reach = h0.min(h1) - (4.0 / 27.0) * ((D0 - (h1 - h0)).abs() + (D1 - (h1 - h0)).abs());
    reach = (sg == 0).select(std::numeric_limits<double>::infinity(), reach);
  }
  // The pattern's active samples as weights of a polynomial matrix: Xᵀ (mask ∘ coefficients).
  Vec active(n);
  for (Index i = 0; i < n; ++i) active(i) = P[i] == kActive ? 1.0 : 0.0;
  // The pattern's unit field c_P(s) = Σ_{P active} q_i(s) x_i (d×6) and its integral
  // C_P(s) = Σ_{P active} x_i Q_i(s) (d×7): one product, made at the unit's first event.
  const double a0 = S.g0(r), da = S.g1(r) - a0;
  Mat cP, CP;
  auto fields = [&]() {
    if (cP.size() > 0) return;
    Mat Wt = Mat::Zero(n, 13);
    Wt.leftCols(5) = a0 * S.E;
    Wt.middleCols(1, 5) += da * S.E;
    Wt.middleCols(6, 6) = (S.h * a0) * S.EI;
    Wt.rightCols(7) += (S.h * da) * S.EI1;
    const Mat F = X.transpose() * (active.asDiagonal() * Wt);
    cP = F.leftCols(6);
    CP = F.rightCols(7);
  };
  // A pair sliding in the pattern stays at its z(0) on the pattern-fixed path (0, up to round-off).
  std::vector<char> rebased(static_cast<std::size_t>(n), 0);  // its base is no longer the Hermite cubic
  for (const Index i : slide.samples) {
    rebased[i] = 1;
    Poly z;
    z.c[0] = (*S.Z0)(i, r);
    path.rebased.push_back({i, 0.0, z});
  }
  // From its first event at s on (a switch or a bounce), pair i's base is the pattern-fixed path
  // of its z along the interpolated residual, z(s) − x_iᵀ(I − Π_P)(C_P(·) − C_P(s)):
  // the same field the QP and the deviation see, so that a pair whose rate on its side is near 0
  // (a sliding pair, one that crossed into a side it barely moves into, or one that grazed its
  // surface) keeps the sign the resolution gave it.
  auto rebase = [&](Index i, double s) {
    fields();
    Vec u = X.row(i).transpose();
    if (slide.Q.rows() > 0) u -= slide.Q.transpose() * (slide.Q * u);
    const Coefs f = -(u.transpose() * CP);
    Poly F;
    for (int k = 0; k < kCoefs; ++k) F.c[k] = f(k);
    F.c[0] += path.base(S, i, s)(s) - F(s);
    path.rebased.insert(path.rebased.begin(), {i, s, F});
    rebased[i] = 1;
  };
  if (S.gains_trained) path.bP = X.transpose() * (active.asDiagonal() * S.E);
  std::vector<signed char> M(P, P + n);
  Slide cur = slide;
  bool slides_changed = false;
  std::vector<Index> touched = slide.samples;
  std::vector<std::pair<Index, signed char>> differ;
  double sa = 0.0;
  Vec dwa = Vec::Zero(d);
  int events = 0;
  for (;;) {
    // δw(s) = δw(sa) − (I − Π) Σ_differ σ x_i (Q_i(s) − Q_i(sa)) + (Π − Π_P)(C_P(s) − C_P(sa)).
    Mat D = Mat::Zero(d, kCoefs);
    for (const auto& [i, sg] : differ) {
      Poly Q = S.push_integral(i, r);
      Q.c[0] -= Q(sa);
      Eigen::Map<const Eigen::RowVectorXd> q(Q.c.data(), kCoefs);
      D.noalias() -= double(sg) * X.row(i).transpose() * q;
    }
    if (cur.Q.rows() > 0) D -= cur.Q.transpose() * (cur.Q * D);
    if (slides_changed) {
      fields();
      Mat Cd = CP;
      Cd.col(0) -= at(Cd, sa);
      D += cur.Q.transpose() * (cur.Q * Cd);
      if (slide.Q.rows() > 0) D -= slide.Q.transpose() * (slide.Q * Cd);
    }
    D.col(0) += dwa;

    // The first event on the piece: a pair crossing its surface, or a sliding coefficient
    // leaving [0, 1].
    double best = 1.0;
    int kind = 0;  // 1 crossing, 2 sliding coefficient
    Index who = -1;
    double bound = 0.0;  // of |x_iᵀδw(s)| / ‖x_i‖ on [0, 1]
    for (Index k = 0; k < kCoefs; ++k) bound += D.col(k).norm();
    for (Index i = 0; i < n; ++i) {
      const signed char md = M[i];
      if (md == kSliding) continue;
      if (md == P[i] && !rebased[i] && reach(i) - xn(i) * bound > eps(i)) continue;
      Poly p = path.base(S, i, sa);
      const Coefs xd = X.row(i) * D;
      for (int k = 0; k < kCoefs; ++k) p.c[k] += xd(k);
      if (md < 0)
        for (double& v : p.c) v = -v;
      if (const auto s = first_below(p, sa, best, eps(i)); s && (kind == 0 || *s < best)) {
        best = *s;
        kind = 1;
        who = i;
      }
    }
    if (!cur.samples.empty()) {
      // β(s) = −(X_S X_Sᵀ)⁻¹ X_S c(s), c = c_P + Σ_differ σ q_i x_i; inside [−ε u, (1 + ε) u], u = q.
      fields();
      Mat c = cP;
      for (const auto& [i, sg] : differ) {
        const Poly q = S.push(i, r);
        Eigen::Map<const Eigen::RowVectorXd> qv(q.c.data(), 6);
        c.noalias() += double(sg) * X.row(i).transpose() * qv;
      }
      const Mat beta = -cur.gram.solve(cur.XS * c);
      for (std::size_t j = 0; j < cur.samples.size(); ++j) {
        const Index l = cur.samples[j];
        const Poly u = S.push(l, r);
        Poly lo, up;
        for (int k = 0; k < Poly::N; ++k) {
          const double b = k < 6 ? beta(static_cast<Index>(j), k) : 0.0;
          lo.c[k] = b + S.alpha_tol * u.c[k];
          up.c[k] = (1 + S.alpha_tol) * u.c[k] - b;
        }
        for (const Poly* g : {&lo, &up})
          if (const auto s = first_below(*g, sa, best, 0.0); s && (kind == 0 || *s < best)) {
            best = *s;
            kind = 2;
            who = l;
          }
      }
    }
    if (kind == 0) {
      path.pieces.push_back({sa, 1.0, std::move(D), differ, cur.Q, slides_changed});
      break;
    }
    const double s = best;
    Vec dw = at(D, s);
    path.pieces.push_back({sa, s, std::move(D), differ, cur.Q, slides_changed});

    // Resolve the unit at s as the exact scheme does at an event: its sliding samples and the
    // pair that reached its surface are put on their surfaces; the minimal-norm element of the
    // subdifferential decides which slide and which go to a side.
    std::vector<Index> C = cur.samples;
    if (kind == 1) C.push_back(who);
    const Index k = static_cast<Index>(C.size());
    Mat XC(k, d);
    Vec zC(k);
    for (Index j = 0; j < k; ++j) {
      XC.row(j) = X.row(C[j]);
      zC(j) = path.base(S, C[j], s)(s) + X.row(C[j]).dot(dw);
    }
    dw -= XC.transpose() * (XC * XC.transpose()).ldlt().solve(zC);
    // The unit's field at s from its other active samples, c_P(s) + Σ_differ σ q_i(s) x_i
    // without the pair that reached its surface; the candidates' pushes q_i(s).
    fields();
    Vec c = at(cP, s);
    for (const auto& [i, sg] : differ) c += (sg * S.push(i, r)(s)) * X.row(i).transpose();
    if (kind == 1 && M[who] == kActive) c -= S.push(who, r)(s) * X.row(who).transpose();
    std::vector<signed char> old(static_cast<std::size_t>(k));
    Vec u(k);
    for (Index j = 0; j < k; ++j) {
      old[j] = M[C[j]];
      u(j) = S.push(C[j], r)(s);
    }
    const std::vector<signed char> fresh = resolve_unit(XC, old, u, c, path.repelling);
    std::vector<Index> sliding;
    for (Index j = 0; j < k; ++j) {
      const Index i = C[j];
      if (!rebased[i]) rebase(i, s);
      if (fresh[j] != M[i]) {
        path.switches.push_back({i, s, M[i], fresh[j]});
        M[i] = fresh[j];
        if (std::find(touched.begin(), touched.end(), i) == touched.end()) touched.push_back(i);
      } else if (M[i] != kSliding) {
        ++path.bounces;
      }
      if (M[i] == kSliding) sliding.push_back(i);
    }
    std::sort(sliding.begin(), sliding.end());
    if (sliding != cur.samples) {
      cur.samples = std::move(sliding);
      cur.build(X);
    }
    slides_changed = cur.samples != slide.samples;
    differences(touched, M, P, differ);
    sa = s;
    dwa = dw;
    if (++events >= S.max_events) {  // the step is cut here
      Mat Dc = Mat::Zero(d, kCoefs);
      Dc.col(0) = dwa;
      path.pieces.push_back({s, s, std::move(Dc), differ, cur.Q, slides_changed});
      path.end = s;
      break;
    }
  }
  return path;
}

void UnitPath::contribution(const StepShared& S, double se, UnitContribution& out) const {
  const Mat& X = *S.X;
  const Index d = X.cols();
  out.dw = at(piece_at(se).D, se);
  out.rho.clear();
  out.outer = 0.0;
  Vec& V = out.V;
  V.setZero(d);
  const bool outer = S.gains_trained;
  for (const UnitPiece& pc : pieces) {
    const double a = pc.a, b = std::min(pc.b, se);
    if (!(b > a)) continue;
    double pa = a, pb = b;
    for (Index k = 0; k < pc.D.cols(); ++k) {
      V += pc.D.col(k) * ((pb - pa) / double(k + 1));
      pa *= a;
      pb *= b;
    }
    // ρ_i = A_i x_iᵀδw + (activity now − A_i) z_i: the second part on the samples that differ.
    for (const auto& [i, sg] : pc.differ) {
      Poly z = base(S, i, a);
      const Coefs xd = X.row(i) * pc.D;
      for (Index k = 0; k < pc.D.cols(); ++k) z.c[k] += xd(k);
      out.rho.emplace_back(i, sg * z.integral(a, b));
      if (outer) {
        Poly e;
        for (int k = 0; k < 5; ++k) e.c[k] = S.E(i, k);
        out.outer += sg * (e * z).integral(a, b);
      }
    }
    if (outer) {
      const Mat BD = bP.transpose() * pc.D;  // 5×7: Σ_i r_i A_i x_iᵀ δw, by powers
      Poly p;
      for (Index k = 0; k < BD.rows(); ++k)
        for (Index l = 0; l < BD.cols(); ++l) p.c[k + l] += BD(k, l);
      out.outer += p.integral(a, b);
    }
  }
  out.outer *= -S.h;
}

}  // namespace gradflow::detail
