#include "gradflow/data/dataset.hpp"

#include <algorithm>
#include <boost/iostreams/filter/gzip.hpp>
#include <boost/iostreams/filtering_stream.hpp>
#include <cmath>
#include <fstream>
#include <numeric>
#include <sstream>

#include "gradflow/core/error.hpp"
#include "gradflow/core/resources.hpp"
#include "gradflow/model/init.hpp"

namespace gradflow {
namespace {

[[noreturn]] void bad(const std::string& key, const std::string& why) {
  throw input_error("data." + key + ": " + why);
}

/// Where each row of a loaded set comes from ("file:line"), for messages; empty for synthetic sets.
using Origins = std::vector<std::string>;

std::string row_name(const Origins& origins, Index i) {
  return origins.empty() ? "row " + std::to_string(i + 1) : origins[static_cast<std::size_t>(i)];
}

Mat unit_rows(Mat X, const Origins& origins = {}) {
  for (Index i = 0; i < X.rows(); ++i) {
    // The plain norm where it is finite (bitwise as before: no copy of the strided row), else scaled.
    double norm = X.row(i).norm();
    if (!std::isfinite(norm)) norm = X.row(i).stableNorm();
    // A zero row stays at the origin, where the ReLU switching surfaces all meet.
    if (!(norm > 0)) bad("normalize", row_name(origins, i) + " is a zero row, and a zero row cannot be put on the unit sphere (\"unit\")");
    X.row(i) /= norm;
  }
  return X;
}

/// Zero mean, unit variance columns; `what` names the matrix in messages, `strict` refuses
/// constant columns (which would become 0) instead of leaving them centred.
Mat standardize_columns(Mat A, const std::string& key, const std::string& what, bool strict) {
  if (A.rows() < 2) bad(key, "standardising " + what + " needs at least 2 rows, the set has " + std::to_string(A.rows()));
  for (Index j = 0; j < A.cols(); ++j) {
    const double mean = A.col(j).mean();
    A.col(j).array() -= mean;
    double sd = std::sqrt(A.col(j).squaredNorm() / static_cast<double>(A.rows()));  // as before, bit for bit
    if (!std::isfinite(sd)) sd = A.col(j).stableNorm() / std::sqrt(static_cast<double>(A.rows()));
    if (sd > 0) {
      A.col(j) /= sd;
    } else if (strict) {
      bad(key, "column " + std::to_string(j + 1) + " of the " + what +
                   " is constant, so standardising it (\"standard\") leaves only zeros; drop it or use \"unit\" or \"none\"");
    }
  }
  return A;
}

Mat normalize_inputs(Mat X, const std::string& how, const Origins& origins) {
  if (how == "standard") return standardize_columns(std::move(X), "normalize", "inputs", true);
  if (how == "unit") return unit_rows(std::move(X), origins);
  return X;  // "none"
}

double activate(const std::string& name, double z) {
  return name == "tanh" ? std::tanh(z) : std::max(z, 0.0);
}

/// Keeps a seeded random subset of n rows (all rows when n is 0 or the whole set), with the
/// origins of the rows kept.
void take_subset(Mat& X, Mat& Y, Origins& origins, Index n, Rng& rng) {
  if (n == 0 || n == X.rows()) return;
  if (n > X.rows())
    bad("n", "asks for " + std::to_string(n) + " samples but the set has " + std::to_string(X.rows()));
  std::vector<Index> order(static_cast<std::size_t>(X.rows()));
  std::iota(order.begin(), order.end(), Index{0});
  for (std::size_t i = order.size() - 1; i > 0; --i)  // Fisher-Yates with our own RNG
    std::swap(order[i], order[rng.bits() % (i + 1)]);
  Mat Xs(n, X.cols()), Ys(n, Y.cols());
  Origins kept;
  for (Index i = 0; i < n; ++i) {
    const std::size_t from = static_cast<std::size_t>(order[static_cast<std::size_t>(i)]);
    Xs.row(i) = X.row(static_cast<Index>(from));
    Ys.row(i) = Y.row(static_cast<Index>(from));
    if (!origins.empty()) kept.push_back(origins[from]);
  }
  X = std::move(Xs);
  Y = std::move(Ys);
  origins = std::move(kept);
}

Origins origins_of(const std::string& path, const std::vector<std::size_t>& lines) {
  Origins o;
  for (const auto line : lines) o.push_back(path + ":" + std::to_string(line));
  return o;
}

Dataset finish_loaded(Mat X, Mat Y, const DataOptions& o, Rng& rng, std::string name,
                      std::string provenance, Origins origins) {
  take_subset(X, Y, origins, o.n, rng);
  Dataset ds{normalize_inputs(std::move(X), o.normalize, origins),
             o.standardize_targets ? standardize_columns(std::move(Y), "standardize_targets", "targets", false)
                                   : std::move(Y),
             std::move(name), std::move(provenance)};
  return ds;
}

std::string read_all(const std::filesystem::path& p) {
  std::ifstream file(p, std::ios::binary);
  if (!file) throw input_error("cannot open file '" + p.string() + "'");
  boost::iostreams::filtering_istream in;
  if (p.extension() == ".gz") in.push(boost::iostreams::gzip_decompressor());
  in.push(file);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

void DataOptions::validate() const {
  static const char* kinds[] = {"sphere", "gaussian", "teacher", "linear", "csv",
                                "digits", "diabetes", "scalar"};
  if (std::find(std::begin(kinds), std::end(kinds), kind) == std::end(kinds))
    bad("kind", "unknown kind '" + kind +
                    "' (expected sphere, gaussian, teacher, linear, csv, digits, diabetes or scalar)");
  const bool synthetic = kind == "sphere" || kind == "gaussian" || kind == "teacher" || kind == "linear";
  if (n < 0 || (synthetic && n < 1)) bad("n", "must be at least 1, got " + std::to_string(n));
  if (synthetic && d < 1) bad("d", "must be at least 1, got " + std::to_string(d));
  if (k < 1) bad("k", "must be at least 1, got " + std::to_string(k));
  if (n > 200000) bad("n", "is too large (" + std::to_string(n) + ")");
  if (!(label_scale >= 0)) bad("label_scale", "must be non-negative");
  if (!(noise >= 0)) bad("noise", "must be non-negative");
  if (kind == "teacher" && teacher_width < 1) bad("teacher_width", "must be at least 1");
  if (teacher_activation != "relu" && teacher_activation != "tanh")
    bad("teacher_activation", "must be relu or tanh, got '" + teacher_activation + "'");
  if (normalize != "none" && normalize != "standard" && normalize != "unit")
    bad("normalize", "must be none, standard or unit, got '" + normalize + "'");
  if (target != "label" && target != "onehot")
    bad("target", "must be label or onehot, got '" + target + "'");
  if (kind == "csv" && path.empty()) bad("path", "is required for data.kind = \"csv\"");
  if (kind == "csv" && target_columns < 1) bad("target_columns", "must be at least 1");
  if (!std::isfinite(y)) bad("y", "must be finite");
  if (!teacher_init.empty()) InitOptions{teacher_init, 1.0}.validate("data.teacher_init");
}

Mat read_table(const std::string& path, bool header, std::vector<std::size_t>* lines) {
  namespace fs = std::filesystem;
  if (!fs::exists(path)) throw input_error("data file '" + path + "' does not exist");
  std::istringstream in(read_all(path));
  std::vector<std::vector<double>> rows;
  std::vector<std::size_t> numbers;
  std::string line;
  std::size_t lineno = 0;
  // Beyond this a square overflows, and with it every norm and loss of the data.
  const double largest = 1e150;
  while (std::getline(in, line)) {
    ++lineno;
    if (header && lineno == 1) continue;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string where = path + ":" + std::to_string(lineno) + ": column ";
    // Commas and tabs delimit cells, so an empty cell between them is an error rather than a
    // shift of the columns after it; spaces only separate (any number of them).
    const bool delimited = line.find_first_of(",\t") != std::string::npos;
    std::vector<double> row;
    std::size_t begin = 0;
    while (begin <= line.size()) {
      const std::size_t end = delimited ? std::min(line.find_first_of(",\t", begin), line.size()) : line.size();
      std::istringstream fields(line.substr(begin, end - begin));
      std::string field;
      bool any = false;
      while (fields >> field) {
        any = true;
        char* stop = nullptr;
        const double v = std::strtod(field.c_str(), &stop);
        if (stop == field.c_str() || *stop != '\0' || !std::isfinite(v))
          throw input_error(where + std::to_string(row.size() + 1) + " is not a finite number ('" + field + "')");
        if (std::abs(v) > largest)
          throw input_error(where + std::to_string(row.size() + 1) + " holds " + field +
                            ", too large: its square overflows (rescale the column below 1e150)");
        row.push_back(v);
      }
      if (delimited && !any && line.find_first_not_of(" ,\t") != std::string::npos)
        throw input_error(where + std::to_string(row.size() + 1) + " is empty");
      begin = end + 1;
    }
    if (row.empty()) continue;
    if (!rows.empty() && row.size() != rows.front().size())
      throw input_error(path + ":" + std::to_string(lineno) + ": has " + std::to_string(row.size()) +
                        " columns, expected " + std::to_string(rows.front().size()));
    rows.push_back(std::move(row));
    numbers.push_back(lineno);
  }
  if (rows.empty()) throw input_error("data file '" + path + "' holds no rows");
  Mat A(static_cast<Index>(rows.size()), static_cast<Index>(rows.front().size()));
  for (Index i = 0; i < A.rows(); ++i)
    for (Index j = 0; j < A.cols(); ++j) A(i, j) = rows[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)];
  if (lines) *lines = std::move(numbers);
  return A;
}

Dataset make_dataset(const DataOptions& o, Rng& rng) {
  o.validate();
  if (o.kind == "sphere" || o.kind == "gaussian") {
    Mat X = rng.normal(o.n, o.d);
    if (o.kind == "sphere") X = unit_rows(std::move(X));
    Mat Y = rng.normal(o.n, o.k, o.label_scale);
    return {std::move(X), std::move(Y), o.kind, "synthetic"};
  }
  if (o.kind == "teacher") {
    Mat X = unit_rows(rng.normal(o.n, o.d));
    const Mat W = rng.normal(o.teacher_width, o.d);
    Mat A(o.teacher_width, o.k);
    for (Index i = 0; i < A.size(); ++i) A.data()[i] = rng.sign();
    Mat Z = X * W.transpose();
    Z = Z.unaryExpr([&](double z) { return activate(o.teacher_activation, z); });
    Mat Y = Z * A / std::sqrt(static_cast<double>(o.teacher_width)) + rng.normal(o.n, o.k, o.noise);
    return {std::move(X), std::move(Y), "teacher", "synthetic two-layer " + o.teacher_activation + " teacher"};
  }
  if (o.kind == "linear") {
    Mat X = rng.normal(o.n, o.d);
    if (o.orthogonal) {
      Eigen::HouseholderQR<Mat> qr(X);
      X = qr.householderQ() * Mat::Identity(o.n, o.d);
    }
    const Mat Theta = o.teacher_init.empty() ? rng.normal(o.d, o.k, 1.0 / std::sqrt(static_cast<double>(o.d)))
                                             : init_matrix(o.d, o.k, o.d, o.k, InitOptions{o.teacher_init, 1.0}, rng);
    Mat Y = X * Theta + rng.normal(o.n, o.k, o.noise);
    return {std::move(X), std::move(Y), "linear", "synthetic linear teacher Y = X Theta + noise"};
  }
  if (o.kind == "scalar") {
    return {Mat::Ones(1, 1), Mat::Constant(1, 1, o.y), "scalar", "the scalar problem 1/2 (y - w1 w2)^2"};
  }
  if (o.kind == "csv") {
    std::vector<std::size_t> lines;
    const Mat A = read_table(o.path, o.header, &lines);
    if (A.cols() <= o.target_columns)
      bad("target_columns", std::to_string(o.target_columns) + " target columns leave no inputs in '" +
                                o.path + "' (" + std::to_string(A.cols()) + " columns)");
    const Index d = A.cols() - o.target_columns;
    return finish_loaded(A.leftCols(d), A.rightCols(o.target_columns), o, rng, "csv:" + o.path, o.path,
                         origins_of(o.path, lines));
  }
  if (o.kind == "digits") {
    const std::string path = resource_path("data/digits.csv.gz").string();
    std::vector<std::size_t> lines;
    const Mat A = read_table(path, false, &lines);
    Mat X = A.leftCols(64) / 16.0;
    const Vec label = A.col(64);
    Mat Y;
    if (o.target == "onehot") {
      Y = Mat::Zero(A.rows(), 10);
      for (Index i = 0; i < A.rows(); ++i) Y(i, static_cast<Index>(label(i))) = 1.0;
    } else {
      Y = label;
    }
    return finish_loaded(std::move(X), std::move(Y), o, rng, "digits",
                         "UCI Optical Recognition of Handwritten Digits, test set (Alpaydin & Kaynak 1998), "
                         "CC BY 4.0; copy distributed with Debian's python3-sklearn",
                         origins_of(path, lines));
  }
  // diabetes
  const std::string path = resource_path("data/diabetes_data_raw.csv.gz").string();
  std::vector<std::size_t> lines;
  Mat X = read_table(path, false, &lines);
  Mat Y = read_table(resource_path("data/diabetes_target.csv.gz").string());
  return finish_loaded(std::move(X), std::move(Y), o, rng, "diabetes",
                       "Efron, Hastie, Johnstone & Tibshirani, Least Angle Regression (2004); "
                       "copy distributed with Debian's python3-sklearn",
                       origins_of(path, lines));
}

}  // namespace gradflow
