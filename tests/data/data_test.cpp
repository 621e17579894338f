// Seeded randomness, data sets and their validation.
#include <boost/test/unit_test.hpp>

#include "gradflow/model/init.hpp"
#include "support.hpp"

using namespace gradflow;

// One namespace per file: the suite compiles in batches (tests/CMakeLists.txt).
namespace GRADFLOW_TEST_FILE {

BOOST_AUTO_TEST_SUITE(data)

BOOST_AUTO_TEST_CASE(rng_is_the_standard_mersenne_twister) {
  // The C++ standard fixes the 10000th output of a default-seeded mt19937_64.
  std::mt19937_64 reference;
  reference.discard(9999);
  BOOST_TEST(reference() == 9981545732273789042ULL);
  Rng a(42), b(42), c(43);
  const Mat A = a.normal(3, 3), B = b.normal(3, 3), C = c.normal(3, 3);
  BOOST_TEST((A == B));
  BOOST_TEST((A != C));
}

BOOST_AUTO_TEST_CASE(normal_draws_have_unit_variance) {
  Rng rng(5);
  const Mat Z = rng.normal(200000, 1);
  BOOST_TEST(std::abs(Z.mean()) < 0.01);
  BOOST_TEST(std::abs(Z.squaredNorm() / 200000 - 1.0) < 0.01);
}

BOOST_AUTO_TEST_CASE(sphere_inputs_have_unit_norm) {
  Rng rng(1);
  DataOptions o;
  o.n = 30;
  o.d = 7;
  const Dataset ds = make_dataset(o, rng);
  BOOST_TEST((ds.X.rowwise().norm().array() - 1.0).abs().maxCoeff() < 1e-14);
  BOOST_TEST(ds.Y.rows() == 30);
}

BOOST_AUTO_TEST_CASE(builtin_sets_load_with_provenance) {
  Rng rng(1);
  DataOptions o;
  o.kind = "digits";
  o.n = 0;
  Dataset digits = make_dataset(o, rng);
  BOOST_TEST(digits.n() == 1797);
  BOOST_TEST(digits.d() == 64);
  BOOST_TEST(digits.provenance.find("Alpaydin") != std::string::npos);
  o.target = "onehot";
  o.n = 100;
  digits = make_dataset(o, rng);
  BOOST_TEST(digits.k() == 10);
  BOOST_TEST(digits.n() == 100);
  o.kind = "diabetes";
  o.n = 0;
  const Dataset diabetes = make_dataset(o, rng);
  BOOST_TEST(diabetes.n() == 442);
  BOOST_TEST(diabetes.d() == 10);
  BOOST_TEST(std::abs(diabetes.Y.mean()) < 1e-12, "targets are standardised");
}

BOOST_AUTO_TEST_CASE(linear_orthogonal_inputs) {
  Rng rng(1);
  DataOptions o;
  o.kind = "linear";
  o.n = 20;
  o.d = 20;
  o.k = 20;
  o.orthogonal = true;
  const Dataset ds = make_dataset(o, rng);
  BOOST_TEST((ds.X.transpose() * ds.X - Mat::Identity(20, 20)).norm() < 1e-12);
}

BOOST_AUTO_TEST_CASE(linear_teacher_from_an_initialiser) {
  // Y = X Θ + noise with Θ drawn by the named initialiser from the same stream, right after X:
  // the same seed gives the same set bit for bit, and with no noise Θ = X⁺Y is exactly that draw.
  DataOptions o;
  o.kind = "linear";
  o.n = 300;
  o.d = 200;
  o.k = 200;
  o.teacher_init = "lecun";
  Rng a(7), b(7), c(8);
  const Dataset A = make_dataset(o, a), B = make_dataset(o, b), C = make_dataset(o, c);
  BOOST_TEST((A.X == B.X));
  BOOST_TEST((A.Y == B.Y));
  BOOST_TEST((A.Y != C.Y));
  Rng ref(7);
  const Mat X = ref.normal(300, 200);
  const Mat Theta = init_matrix(200, 200, 200, 200, InitOptions{"lecun", 1.0}, ref);
  BOOST_TEST((A.X == X));
  const Mat solved = A.X.colPivHouseholderQr().solve(A.Y);
  BOOST_TEST((solved - Theta).cwiseAbs().maxCoeff() < 1e-10);
  // LeCun: N(0, 1/fan_in), fan_in = d = 200; 40000 entries give the variance to about 0.7%.
  BOOST_TEST(std::abs(Theta.squaredNorm() / 40000 * 200 - 1.0) < 0.03);
  // He doubles it; normal is N(0, 1), as the slide's W(0).
  o.teacher_init = "he";
  Rng h(7);
  const Dataset H = make_dataset(o, h);
  const Mat He = H.X.colPivHouseholderQr().solve(H.Y);
  BOOST_TEST(std::abs(He.squaredNorm() / 40000 * 100 - 1.0) < 0.03);
  o.teacher_init = "normal";
  Rng nrm(7);
  const Dataset N = make_dataset(o, nrm);
  BOOST_TEST(std::abs(N.X.colPivHouseholderQr().solve(N.Y).squaredNorm() / 40000 - 1.0) < 0.03);
  // Without teacher_init the teacher keeps its N(0, 1/d) entries from the same stream as before.
  o.teacher_init.clear();
  Rng old(7), oref(7);
  const Dataset D = make_dataset(o, old);
  (void)oref.normal(300, 200);
  BOOST_TEST((D.Y == D.X * oref.normal(200, 200, 1.0 / std::sqrt(200.0))));
  o.teacher_init = "gaussianish";
  BOOST_CHECK_THROW(o.validate(), input_error);
}

BOOST_AUTO_TEST_CASE(impossible_sizes_are_rejected) {
  Rng rng(1);
  DataOptions o;
  o.kind = "digits";
  o.n = 5000;
  BOOST_CHECK_THROW(make_dataset(o, rng), input_error);
  o.kind = "sphere";
  o.n = 0;
  BOOST_CHECK_THROW(make_dataset(o, rng), input_error);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace GRADFLOW_TEST_FILE
