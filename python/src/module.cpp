// gradflow._core: the library as a Python extension (docs/python.md). The pure-Python layer
// (python/gradflow/__init__.py) turns what these functions return into Results, DataFrames
// and keyword arguments; everything here goes through the library's own entry points and
// registries, so a new model or method kind is reachable without touching this file.
//
// Arrays: inputs are checked here (dtype float64, shape, contiguity) and copied into Eigen
// objects, because the library takes const Vec& / const Mat&; results are Eigen objects moved
// into NumPy arrays (pybind11 hands over the buffer, no copy).
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <csignal>
#include <cmath>
#include <optional>
#include <sstream>

#include "gradflow/experiment/output_folder.hpp"
#include "gradflow/experiment/recipe.hpp"
#include "gradflow/experiment/theory_report.hpp"
#include "gradflow/gradflow.hpp"
#include "gradflow/plot/render.hpp"
#include "gradflow/theory/xu.hpp"

namespace py = pybind11;
using namespace gradflow;

namespace {

std::string shape_text(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
  return s + (a.ndim() == 1 ? ",)" : ")");
}

/// The argument as a float64 ndarray of `ndim` dimensions, or ValueError naming it.
py::array checked(const py::handle& obj, const char* name, int ndim) {
  if (!py::isinstance<py::array>(obj))
    throw py::value_error(std::string(name) + ": expected a numpy.ndarray of float64, got " +
                          std::string(py::str(py::type::handle_of(obj).attr("__name__"))) +
                          " (use np.asarray(" + name + ", dtype=np.float64))");
  py::array a = py::reinterpret_borrow<py::array>(obj);
  if (!py::array_t<double>::check_(a))
    throw py::value_error(std::string(name) + ": expected dtype float64, got " + std::string(py::str(a.dtype())));
  if (a.ndim() != ndim)
    throw py::value_error(std::string(name) + ": expected a " + std::to_string(ndim) + "-D array, got shape " +
                          shape_text(a));
  const int flags = a.flags();
  const bool c = flags & py::detail::npy_api::NPY_ARRAY_C_CONTIGUOUS_;
  const bool f = flags & py::detail::npy_api::NPY_ARRAY_F_CONTIGUOUS_;
  if (!c && !(ndim == 2 && f))
    throw py::value_error(std::string(name) + ": array is not contiguous (use np.ascontiguousarray(" + name + "))");
  return a;
}

/// A 1-D float64 array of length `size` (any length when size < 0), copied into a Vec.
Vec vector_arg(const py::handle& obj, const char* name, Index size, const char* size_name) {
  py::array a = checked(obj, name, 1);
  if (size >= 0 && a.shape(0) != size)
    throw py::value_error(std::string(name) + ": expected length " + std::to_string(size) + " (" + size_name +
                          "), got " + std::to_string(a.shape(0)));
  return Eigen::Map<const Vec>(static_cast<const double*>(a.data()), a.shape(0));
}

/// A 2-D float64 array (C or Fortran order) copied into a column-major Mat.
Mat matrix_arg(const py::handle& obj, const char* name, bool finite = true) {
  py::array a = checked(obj, name, 2);
  const Index rows = a.shape(0), cols = a.shape(1);
  const double* p = static_cast<const double*>(a.data());
  Mat M = (a.flags() & py::detail::npy_api::NPY_ARRAY_F_CONTIGUOUS_)
              ? Mat(Eigen::Map<const Mat>(p, rows, cols))
              : Mat(Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(p, rows, cols));
  if (finite && !M.allFinite()) throw py::value_error(std::string(name) + ": contains NaN or infinite entries");
  return M;
}

/// Targets: (n,) or (n, k), as an n×k matrix.
Mat targets_arg(const py::handle& obj, const char* name, Index n) {
  Mat Y;
  if (py::isinstance<py::array>(obj) && py::reinterpret_borrow<py::array>(obj).ndim() == 1) {
    const Vec y = vector_arg(obj, name, n, "the rows of X");
    Y = y;
  } else {
    Y = matrix_arg(obj, name);
  }
  if (Y.rows() != n)
    throw py::value_error(std::string(name) + ": expected " + std::to_string(n) + " rows (the rows of X), got " +
                          std::to_string(Y.rows()));
  if (!Y.allFinite()) throw py::value_error(std::string(name) + ": contains NaN or infinite entries");
  return Y;
}

py::object json_to_py(const nlohmann::json& j) { return py::module_::import("json").attr("loads")(j.dump()); }

nlohmann::json py_to_json(const py::handle& obj) {
  return nlohmann::json::parse(std::string(py::str(py::module_::import("json").attr("dumps")(obj))));
}

Config load_config(const std::string& text, bool is_path, const std::vector<std::string>& sets) {
  Config config = is_path ? Config::load(text) : Config::parse(text, "python");
  config.take_table("sweep");  // a sweep's file runs as its base experiment, as in the CLI
  for (const auto& s : sets) config.set(s);
  return config;
}

Experiment load_experiment(const std::string& text, bool is_path, const std::vector<std::string>& sets) {
  Config config = load_config(text, is_path, sets);
  return parse_experiment(config);
}

py::object key_value(const KeyValue& v) {
  return std::visit([](const auto& x) { return py::cast(x); }, v);
}

py::list keys_list(const std::vector<KeySpec>& keys) {
  py::list out;
  for (const auto& k : keys) {
    py::dict d;
    d["name"] = k.name;
    d["type"] = to_string(k.type);
    d["default"] = k.required ? py::none() : key_value(k.fallback);
    d["doc"] = k.doc;
    d["choices"] = k.choices;
    d["required"] = k.required;
    d["applies"] = k.applies_doc;
    out.append(d);
  }
  return out;
}

py::dict params_dict(const Params& params) {
  py::dict d;
  for (const auto& [k, v] : params.values()) d[py::str(k)] = key_value(v);
  return d;
}

/// Stops the run on Ctrl-C and calls the Python callback at every sample. The run itself
/// holds no GIL; each sample takes it briefly, because only then can Python's own SIGINT
/// handler (which only sets a flag while C++ runs) be asked whether a signal came.
class PythonObserver final : public Observer {
 public:
  explicit PythonObserver(py::object callback) : callback_(std::move(callback)) {}

  void on_begin(const std::string&, const std::vector<std::string>& columns) override { columns_ = columns; }

  std::optional<Stop> on_sample(const std::string& method, const std::vector<double>& row) override {
    if (!stopped_by_.empty()) return stop();
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) {
      py::error_already_set e;
      if (!e.matches(PyExc_KeyboardInterrupt)) error_ = std::move(e);
      stopped_by_ = error_ ? "error" : "SIGINT";
      return stop();
    }
    if (callback_.is_none()) return std::nullopt;
    try {
      py::dict columns;
      for (std::size_t i = 0; i < row.size() && i < columns_.size(); ++i) columns[py::str(columns_[i])] = row[i];
      if (py::bool_(callback_(method, row.front(), columns))) {
        stopped_by_ = "callback";
        return stop();
      }
    } catch (py::error_already_set& e) {
      stopped_by_ = e.matches(PyExc_KeyboardInterrupt) ? "SIGINT" : "error";
      if (!e.matches(PyExc_KeyboardInterrupt)) error_ = std::move(e);
      return stop();
    }
    return std::nullopt;
  }

  std::string stopped_by_;
  std::optional<py::error_already_set> error_;

 private:
  // The runner ends the rest of the run (pending) once the interrupt flag is set.
  Stop stop() {
    request_interrupt(SIGINT);
    return Stop{Status::interrupted, stopped_by_ == "callback" ? "stopped by the callback" : "stopped by " + stopped_by_};
  }
  py::object callback_;
  std::vector<std::string> columns_;
};

py::dict run(const std::string& text, bool is_path, const std::vector<std::string>& sets, py::object callback) {
  const Experiment e = load_experiment(text, is_path, sets);
  PythonObserver observer(std::move(callback));
  request_interrupt(0);
  RunResult r;
  {
    py::gil_scoped_release release;
    try {
      r = run_experiment(e, {&observer});
    } catch (...) {
      request_interrupt(0);
      throw;
    }
  }
  request_interrupt(0);
  if (observer.error_) throw *observer.error_;
  nlohmann::json report = run_report(e, r);
  bool interrupted = false;
  for (const auto& m : r.methods) interrupted = interrupted || !finished(m.outcome.status);
  report["status"] = interrupted ? "interrupted" : "complete";
  py::list tables;
  for (const auto& m : r.methods) {
    const Index rows = static_cast<Index>(m.table.rows.size()), cols = static_cast<Index>(m.table.columns.size());
    // Column-major: each column contiguous, ready for a DataFrame or a dict of arrays.
    Mat values(rows, cols);
    for (Index i = 0; i < rows; ++i)
      for (Index j = 0; j < cols; ++j) values(i, j) = m.table.rows[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)];
    tables.append(py::make_tuple(m.spec.name, m.table.columns, std::move(values), to_string(m.outcome.status)));
  }
  py::dict out;
  out["info"] = json_to_py(report);
  out["tables"] = tables;
  out["interrupted"] = interrupted;
  out["stopped_by"] = observer.stopped_by_;
  return out;
}

/// Writes the run folder the CLI writes: the CSVs through the library's own CsvSink (so the
/// bytes are the CLI's), run.json as the CLI dumps it, figures when gnuplot is there.
void save_run(const std::string& path, bool force, const py::handle& info, const py::list& tables, bool figures) {
  const nlohmann::json report = py_to_json(info);
  OutputFolder folder(path, force ? Existing::replace : Existing::refuse, "run.json");
  folder.open();
  CsvSink csv(folder.work());
  for (const auto& entry : tables) {
    const auto t = entry.cast<py::tuple>();
    const auto status = t[3].cast<std::string>();
    if (status == to_string(Status::pending)) continue;  // never started: the CLI writes no CSV either
    const auto name = t[0].cast<std::string>();
    const auto columns = t[1].cast<std::vector<std::string>>();
    const Mat values = matrix_arg(t[2], "table", false);
    csv.on_begin(name, columns);
    std::vector<double> row(static_cast<std::size_t>(values.cols()));
    for (Index i = 0; i < values.rows(); ++i) {
      for (Index j = 0; j < values.cols(); ++j) row[static_cast<std::size_t>(j)] = values(i, j);
      csv.on_sample(name, row);
    }
    csv.on_end(name, Outcome{});
  }
  write_atomically(folder.work() + "/run.json", report.dump(2) + "\n");
  if (figures && gnuplot_available()) render_run_figures(folder.work());
  folder.commit();
}

/// A model kind from the registry on the caller's (X, Y), with the loss of `reduction`.
class PyModel {
 public:
  PyModel(const std::string& kind, const py::handle& X, const py::handle& Y, long seed, const std::string& reduction,
          const std::vector<std::string>& sets) {
    if (seed < 0) throw py::value_error("seed: must be non-negative");
    data_.X = matrix_arg(X, "X");
    if (data_.X.size() == 0)
      throw py::value_error("X: expected at least one row and one column, got shape (" +
                            std::to_string(data_.X.rows()) + ", " + std::to_string(data_.X.cols()) + ")");
    data_.Y = targets_arg(Y, "y", data_.X.rows());
    data_.name = "arrays";
    data_.provenance = "NumPy arrays from Python";
    Config config = Config::parse("", "model options");
    config.set("model.kind=" + nlohmann::json(kind).dump());
    for (const auto& s : sets) config.set("model." + s);
    spec_.kind = config.get("model.kind", spec_.kind);
    read_keys(config, "model.", spec_.descriptor().keys, spec_.params);
    config.check_all_used();
    // The streams of experiment/problem.cpp: data from the first split, θ0 from the second,
    // so θ0 is a run's when X, y are gradflow.data's of the same seed.
    Rng rng(static_cast<std::uint64_t>(seed));
    Rng data_rng = rng.split(), model_rng = rng.split();
    (void)data_rng;
    instance_ = build_model(spec_, data_, model_rng);
    objective_.emplace(*instance_.model, data_.Y, parse_reduction(reduction));
  }

  const Model& model() const { return *instance_.model; }
  Vec theta(const py::handle& obj) const { return vector_arg(obj, "theta", model().num_params(), "model.num_params"); }
  Vec outputs(const py::handle& obj, const char* name) const {
    return vector_arg(obj, name, model().num_outputs(), "model.num_outputs");
  }

  Dataset data_;
  ModelSpec spec_;
  ModelInstance instance_;
  std::optional<Objective> objective_;  // points into instance_.model, so PyModel never moves
};

/// `gradflow sweep` into `out`: points in this process (jobs 1) or in forked ones.
py::dict sweep(const std::string& text, bool is_path, const std::vector<std::string>& sets,
               const std::vector<std::string>& grid, const std::vector<std::string>& zip, const std::string& out,
               std::size_t jobs, bool force, bool retry_failed) {
  const SweepPlan plan = is_path ? plan_sweep(text, sets, grid, zip) : plan_sweep_text(text, "python", sets, grid, zip);
  SweepOptions options;
  options.out = out;
  options.force = force;
  options.retry_failed = retry_failed;
  options.quiet = true;
  SweepSummary s;
  {
    py::gil_scoped_release release;
    s = run_sweep(plan, options, [&](const std::string& dir) { return local_executor(plan, dir, {}, std::max<std::size_t>(jobs, 1)); });
  }
  py::dict d;
  d["points"] = s.points;
  d["done"] = s.done;
  d["skipped"] = s.skipped;
  d["ran"] = s.ran;
  d["failed"] = s.failed;
  d["interrupted"] = s.interrupted;
  d["wall_seconds"] = s.wall_seconds;
  return d;
}

py::dict xu_quantities(const py::handle& X, const py::handle& Y, const py::handle& W1, const py::handle& W2, double c1,
                       double c2) {
  XuConstants c{c1, c2};
  c.validate();
  const XuRate rate(matrix_arg(X, "X"), matrix_arg(Y, "Y"), matrix_arg(W1, "W1"), matrix_arg(W2, "W2"), c);
  const XuInitial& i = rate.initial();
  py::dict d;
  d["N"] = i.N; d["n"] = i.n; d["h"] = i.h; d["m"] = i.m; d["rank"] = i.rank;
  d["sigma_min"] = i.sigma_min; d["sigma_max"] = i.sigma_max; d["kappa"] = i.kappa;
  d["sigma_min_y"] = i.sigma_min_y; d["loss0"] = i.loss0; d["p1"] = i.p1; d["p2"] = i.p2;
  d["alpha0"] = i.alpha0; d["beta0"] = i.beta0; d["imbalance_eigenvalues"] = i.imbalance_eigenvalues;
  const RatePolynomial rho = rate.rho();
  d["a1"] = rho.a1; d["a2"] = rho.a2; d["a3"] = rho.a3; d["a4"] = rho.a4;
  d["eta_max_1"] = rate.eta_max_1(); d["eta_max_2"] = rate.eta_max_2(); d["eta_max"] = rate.eta_max();
  d["eta_star"] = rate.eta_star(); d["rate"] = rate.rate(); d["asymptotic_rate"] = rate.asymptotic_rate();
  return d;
}

py::dict spectral_step(const XuSpectralStep& s) {
  py::dict d;
  d["K"] = s.K; d["mu"] = s.mu; d["tau_min"] = s.tau_min; d["tau_max"] = s.tau_max;
  d["eta"] = s.eta; d["contraction"] = s.contraction;
  return d;
}

Mat symmetric_arg(const py::handle& obj, const char* name) {
  Mat H = matrix_arg(obj, name);
  if (H.rows() != H.cols())
    throw py::value_error(std::string(name) + ": expected a square matrix, got " + std::to_string(H.rows()) + "x" +
                          std::to_string(H.cols()));
  if (H.size() == 0) throw py::value_error(std::string(name) + ": is empty");
  return H;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "gradflow's C++ library; use the gradflow package, which wraps these functions";
  m.attr("version") = GRADFLOW_VERSION;
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const input_error& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });

  m.def(
      "set_threads",
      [](int threads) {
        if (threads < 1) throw py::value_error("threads: must be at least 1, got " + std::to_string(threads));
        set_threads(threads);
      },
      py::arg("threads"));
  m.def("thread_count", &thread_count);
  m.def("default_experiment", &default_experiment_toml, "The default experiment as TOML text.");
  m.def(
      "model_kinds",
      [] {
        py::list out;
        for (const ModelKind* k : model_kinds().all()) {
          py::dict d;
          d["name"] = k->name;
          d["summary"] = k->summary;
          d["keys"] = keys_list(k->keys);
          d["infinite_kernel"] = static_cast<bool>(k->infinite_kernel);
          out.append(d);
        }
        return out;
      },
      "The model registry: name, summary and keys of every model kind.");
  m.def(
      "method_kinds",
      [] {
        py::list out;
        for (const MethodKind* k : method_kinds().all()) {
          py::dict d;
          d["name"] = k->name;
          d["summary"] = k->summary;
          d["space"] = to_string(k->space);
          d["order"] = k->order;
          d["twins"] = k->twins;
          d["keys"] = keys_list(k->keys);
          out.append(d);
        }
        return out;
      },
      "The method registry: name, summary, space, order, twins and keys of every method kind.");
  m.def("recipes", &list_recipes, "(name, title) of every shipped recipe.");

  m.def("run", &run, py::arg("text"), py::arg("is_path"), py::arg("sets"), py::arg("callback"));
  m.def("sweep", &sweep, py::arg("text"), py::arg("is_path"), py::arg("sets"), py::arg("grid"), py::arg("zip"),
        py::arg("out"), py::arg("jobs"), py::arg("force"), py::arg("retry_failed"));
  m.def("summary", [](const py::handle& info) { return summary(py_to_json(info)); }, py::arg("info"));
  m.def("save_run", &save_run, py::arg("path"), py::arg("force"), py::arg("info"), py::arg("tables"),
        py::arg("figures"));
  m.def(
      "theory",
      [](const std::string& text, bool is_path, const std::vector<std::string>& sets, double delta) {
        const Experiment e = load_experiment(text, is_path, sets);
        TheoryOptions options;
        options.delta = delta;
        nlohmann::json report;
        {
          py::gil_scoped_release release;
          report = theory_report(e, options);
        }
        return py::make_tuple(json_to_py(report), theory_text(report));
      },
      py::arg("text"), py::arg("is_path"), py::arg("sets"), py::arg("delta"));
  m.def(
      "compare",
      [](const std::string& text, bool is_path, const std::vector<std::string>& sets, const std::vector<double>& etas,
         double horizon, const std::string& dir, bool figures) {
        if (!(horizon >= 0)) throw py::value_error("horizon: must be non-negative");
        const Experiment e = load_experiment(text, is_path, sets);
        CompareOptions options;
        options.etas = etas;
        options.horizon = horizon;
        CompareResult result;
        {
          py::gil_scoped_release release;
          result = run_compare(e, options);
        }
        write_compare(dir, e, options, result);
        if (figures && gnuplot_available()) render_compare_figure(dir);
        return compare_summary(result);
      },
      py::arg("text"), py::arg("is_path"), py::arg("sets"), py::arg("etas"), py::arg("horizon"), py::arg("dir"),
      py::arg("figures"));
  m.def(
      "reproduce",
      [](const std::string& name, const std::string& size, const std::vector<std::string>& sets, const std::string& out,
         bool force, bool figures) {
        const Recipe recipe = find_recipe(name);
        ReproduceOptions options;
        options.size = size;
        options.sets = sets;
        options.figures = figures;
        check_reproduce(recipe, options);
        OutputFolder folder(out, force ? Existing::replace : Existing::refuse, "summary.json");
        folder.open();
        options.out = folder.work();
        ReproduceResult result;
        {
          py::gil_scoped_release release;
          result = reproduce(recipe, options);
        }
        folder.commit();
        py::list claims;
        for (const auto& c : result.claims) {
          py::dict d;
          d["text"] = c.claim.text;
          d["kind"] = c.claim.kind;
          d["verdict"] = std::string(to_string(c.verdict));
          d["measured"] = c.measured;
          claims.append(d);
        }
        return py::make_tuple(claims, reproduce_text(recipe, result));
      },
      py::arg("name"), py::arg("size"), py::arg("sets"), py::arg("out"), py::arg("force"), py::arg("figures"));

  m.def(
      "make_data",
      [](const std::vector<std::string>& sets, long seed) {
        if (seed < 0) throw py::value_error("seed: must be non-negative");
        // The [data] keys are read by parse_experiment itself (one reader for files and Python).
        Config config = Config::parse("[[methods]]\nkind = \"gf\"\n", "data options");
        for (const auto& s : sets) config.set("data." + s);
        const Experiment e = parse_experiment(config);
        Rng rng(static_cast<std::uint64_t>(seed));
        Rng data_rng = rng.split();  // as experiment/problem.cpp: the run's data for this seed
        Dataset data = make_dataset(e.data, data_rng);
        return py::make_tuple(std::move(data.X), std::move(data.Y), data.name);
      },
      py::arg("sets"), py::arg("seed"));

  py::class_<PyModel>(m, "Model")
      .def(py::init<const std::string&, const py::handle&, const py::handle&, long, const std::string&,
                    const std::vector<std::string>&>(),
           py::arg("kind"), py::arg("X"), py::arg("y"), py::arg("seed"), py::arg("reduction"), py::arg("sets"))
      .def_property_readonly("kind", [](const PyModel& p) { return p.spec_.kind; })
      .def_property_readonly("options", [](const PyModel& p) { return params_dict(p.spec_.params); })
      .def_property_readonly("num_params", [](const PyModel& p) { return p.model().num_params(); })
      .def_property_readonly("num_outputs", [](const PyModel& p) { return p.model().num_outputs(); })
      .def_property_readonly("theta0", [](const PyModel& p) { return Vec(p.instance_.theta0); })
      .def_property_readonly("X", [](const PyModel& p) { return Mat(p.data_.X); })
      .def_property_readonly("Y", [](const PyModel& p) { return Mat(p.data_.Y); })
      .def_property_readonly("c", [](const PyModel& p) { return p.objective_->scale(); })
      .def("predict",
           [](const PyModel& p, const py::handle& theta) {
             const Vec th = p.theta(theta);
             Vec f;
             py::gil_scoped_release release;
             p.model().predict(th, f);
             return f;
           })
      .def("gradient",
           [](const PyModel& p, const py::handle& theta, const py::handle& r) {
             const Vec th = p.theta(theta), rr = p.outputs(r, "r");
             Vec g;
             py::gil_scoped_release release;
             p.model().gradient(th, rr, g);
             return g;
           })
      .def("jvp",
           [](const PyModel& p, const py::handle& theta, const py::handle& v) {
             const Vec th = p.theta(theta), vv = vector_arg(v, "v", p.model().num_params(), "model.num_params");
             Vec Jv;
             py::gil_scoped_release release;
             p.model().jvp(th, vv, Jv);
             return Jv;
           })
      .def("ntk",
           [](const PyModel& p, const py::handle& theta) {
             const Vec th = p.theta(theta);
             Mat H;
             py::gil_scoped_release release;
             p.model().ntk(th, H);
             return H;
           })
      .def("lambda_min",
           [](const PyModel& p, const py::handle& theta) {
             const Vec th = p.theta(theta);
             py::gil_scoped_release release;
             Mat H;
             p.model().ntk(th, H);
             return lambda_min(H);
           })
      .def("loss", [](const PyModel& p, const py::handle& theta) { return p.objective_->value(p.theta(theta)); })
      .def("loss_gradient",
           [](const PyModel& p, const py::handle& theta) {
             const Vec th = p.theta(theta);
             Vec g;
             double L;
             {
               py::gil_scoped_release release;
               L = p.objective_->value_gradient(th, g);
             }
             return py::make_tuple(L, std::move(g));
           })
      .def("residual", [](const PyModel& p, const py::handle& theta) { return p.objective_->residual(p.theta(theta)); })
      .def_property_readonly("diagnostic_columns", [](const PyModel& p) { return p.model().diagnostic_columns(); })
      .def("diagnostics",
           [](const PyModel& p, const py::handle& theta) {
             const Vec th = p.theta(theta);
             const auto names = p.model().diagnostic_columns();
             std::vector<double> values(names.size());
             p.model().diagnostics(th, p.instance_.theta0, values);
             py::dict d;
             for (std::size_t i = 0; i < names.size(); ++i) d[py::str(names[i])] = values[i];
             return d;
           })
      // For bench/python/binding_overhead.py: `reps` gradient calls timed inside C++ (s per call).
      .def("_time_gradient", [](const PyModel& p, const py::handle& theta, const py::handle& r, long reps) {
        const Vec th = p.theta(theta), rr = p.outputs(r, "r");
        Vec g;
        py::gil_scoped_release release;
        const auto start = std::chrono::steady_clock::now();
        for (long i = 0; i < reps; ++i) p.model().gradient(th, rr, g);
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / static_cast<double>(reps);
      });

  m.def("h_infinity", [](const py::handle& X) { return relu_ntk_infinite(matrix_arg(X, "X")); });
  m.def("two_layer_h_infinity", [](const py::handle& X, double outer_std, double w_std) {
    return two_layer_ntk_infinite(matrix_arg(X, "X"), outer_std, w_std);
  });
  m.def("kernel_outer", [](const py::handle& X, double w_std) { return relu_kernel_outer(matrix_arg(X, "X"), w_std); });
  m.def("kernel_inner", [](const py::handle& X, double a2) { return relu_kernel_inner(matrix_arg(X, "X"), a2); });
  m.def("row_angles", [](const py::handle& X) { return row_angles(matrix_arg(X, "X")); });
  m.def("lambda_min", [](const py::handle& H) { return lambda_min(symmetric_arg(H, "H")); });
  m.def("xu", &xu_quantities);
  m.def("xu_spectral_step", [](const py::handle& X, const py::handle& W1, const py::handle& W2) {
    if (W1.is_none() != W2.is_none()) throw py::value_error("W1, W2: give both (linear2) or neither (one layer)");
    return spectral_step(W1.is_none() ? xu_spectral_step(matrix_arg(X, "X"))
                                      : xu_spectral_step(matrix_arg(X, "X"), matrix_arg(W1, "W1"), matrix_arg(W2, "W2")));
  });
}
