#include "internal.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <regex>
#include <sstream>

#include "gradflow/core/error.hpp"
#include "gradflow/core/quote.hpp"
#include "gradflow/core/resources.hpp"
#include "gradflow/experiment/config.hpp"
#include "gradflow/experiment/experiment.hpp"
#include "gradflow/experiment/expression.hpp"
#include "gradflow/experiment/run_report.hpp"
#include "gradflow/experiment/runner.hpp"
#include "gradflow/experiment/theory_report.hpp"
#include "gradflow/plot/figure.hpp"

namespace fs = std::filesystem;

namespace gradflow::recipe_detail {

std::string slug(const std::string& label) {
  std::string s;
  for (const char c : label) s += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ? c : '_';
  return s.empty() ? "variant" : s;
}

/// The experiment of one variant at one size.
Experiment variant_experiment(const Recipe& r, const RecipeVariant& v, const std::string& size,
                              const std::vector<std::string>& extra) {
  Config c = Config::parse(r.base_toml, "recipe " + r.name + " [base]");
  if (auto it = r.sizes.find(size); it != r.sizes.end())
    for (const auto& s : it->second) c.set(s);
  for (const auto& s : v.set) c.set(s);
  if (auto it = v.per_size.find(size); it != v.per_size.end())
    for (const auto& s : it->second) c.set(s);
  for (const auto& s : extra) c.set(s);
  // Data files shipped next to the recipe (recipes/NAME.csv) are found from any folder.
  if (!r.dir.empty() && c.has("data.path")) {
    const fs::path p = c.get("data.path", std::string());
    if (!p.empty() && p.is_relative() && !fs::exists(p) && fs::exists(fs::path(r.dir) / p))
      c.set("data.path=" + (fs::path(r.dir) / p).string());
  }
  try {
    return parse_experiment(c);
  } catch (const input_error& e) {
    throw input_error("recipe " + r.name + ", variant '" + v.label + "' (" + size + "): " + e.what());
  }
}

/// Overlays one column of one method across the variants: <out>/<column>_<method>.png,
/// drawn from plots/overlay.gp.
void overlay_figure(const std::string& out, const std::vector<VariantRuns>& vs, const RecipeFigure& f, std::size_t i) {
  const std::string col = f.columns[i];
  const bool logy = i < f.logy.size() ? f.logy[i] : col == "loss";
  const std::string stem = f.stem(col);
  auto xscale = [&](const VariantRuns& v) { return f.time_times_x && v.variant->has_x ? gnuplot_number(v.variant->x) : "1"; };
  std::vector<std::string> files, titles, xscales, l0s, rates, bound_titles;
  for (const auto& v : vs) {
    if (!selected(f.variants, *v.variant)) continue;
    const fs::path csv = fs::relative(fs::path(v.dir) / (f.method + ".csv"), out);
    if (!fs::exists(fs::path(out) / csv)) continue;
    files.push_back(csv.string());
    titles.push_back(v.variant->label);
    xscales.push_back(xscale(v));
  }
  if (files.empty()) return;
  if (f.xu_bound && col == "loss")
    for (const auto& v : vs) {
      if (!selected(f.variants, *v.variant)) continue;
      const auto& th = v.theory.front();
      if (!th.contains("xu_rate") || !th["xu_rate"].is_number()) continue;
      l0s.push_back(gnuplot_number(v.runs.front().loss0));
      rates.push_back(gnuplot_number(th["xu_rate"].get<double>()));
      bound_titles.push_back(v.variant->label + ": f(eta*,0)^t L(0)");
    }
  std::string ref_file, ref_xscale = "1";
  if (!f.reference.empty() && !vs.empty()) {
    const fs::path csv = fs::relative(fs::path(vs.front().dir) / (f.reference + ".csv"), out);
    std::string header;
    if (std::ifstream in(fs::path(out) / csv); in) std::getline(in, header);
    if (("," + header + ",").find("," + col + ",") != std::string::npos) {
      ref_file = csv.string();
      ref_xscale = xscale(vs.front());
    }
  }
  Figure fig{"overlay", (fs::path(out) / stem).string(), {}, 900, 560, files};
  if (!ref_file.empty()) fig.data.push_back(ref_file);
  fig.y_columns = {col};
  fig.svg = false;
  fig.variables = {{"files", gnuplot_words(files)},
                   {"titles", gnuplot_words(titles)},
                   {"xscales", gnuplot_words(xscales)},
                   {"col", col},
                   {"logy", logy ? "1" : "0"},
                   {"xlabel", f.time_times_x ? "t * x (x = abscissa of the variant)" : "t"},
                   {"heading", col + " of " + f.method + " per variant" + (f.name.empty() ? "" : " (" + f.name + ")")},
                   {"bound_l0s", gnuplot_words(l0s)},
                   {"bound_rates", gnuplot_words(rates)},
                   {"bound_titles", gnuplot_words(bound_titles)},
                   {"ref_file", ref_file},
                   {"ref_xscale", ref_xscale},
                   {"ref_title", f.reference}};
  if (const Rendered r = render_figure(fig, out); !r.drawn) std::fprintf(stderr, "gradflow: warning: recipe figure %s\n", r.report.c_str());
}

}  // namespace gradflow::recipe_detail

namespace gradflow {

using namespace recipe_detail;

std::string reproduce_text(const Recipe& r, const ReproduceResult& res) {
  std::ostringstream s;
  s << r.title << "\n";
  if (!res.tables_text.empty()) s << "\n" << res.tables_text;
  for (std::size_t i = 0; i < res.claims.size(); ++i) {
    const auto& c = res.claims[i];
    s << "  [" << to_string(c.verdict) << "] " << c.claim.text << "\n         " << c.measured << "\n";
  }
  s << "claims: " << res.counts_text() << "\n";
  s << "report: " << res.report_path << "\n";
  return s.str();
}

bool ReproduceResult::all_pass() const {
  return std::all_of(claims.begin(), claims.end(), [](const ClaimResult& c) { return c.pass; });
}

long ReproduceResult::count(Verdict v) const {
  return std::count_if(claims.begin(), claims.end(), [v](const ClaimResult& c) { return c.verdict == v; });
}

std::string ReproduceResult::counts_text() const {
  return std::to_string(count(Verdict::pass)) + " PASS, " + std::to_string(count(Verdict::fail)) + " FAIL, " +
         std::to_string(count(Verdict::inconclusive)) + " INCONCLUSIVE (of " + std::to_string(claims.size()) + " claims)";
}

void check_reproduce(const Recipe& r, const ReproduceOptions& o) {
  if (std::find(std::begin(kSizes), std::end(kSizes), o.size) == std::end(kSizes))
    throw input_error("reproduce: size must be tiny, default or full");
  for (const auto& v : r.variants) (void)variant_experiment(r, v, o.size, o.sets);
}

ReproduceResult reproduce(const Recipe& r, const ReproduceOptions& o) {
  if (o.out.empty()) throw input_error("reproduce: an output folder is required");
  check_reproduce(r, o);
  const auto start = std::chrono::steady_clock::now();
  fs::create_directories(o.out);
  const bool figures = o.figures && gnuplot_available();
  const long repeats = r.repeats.count(o.size) ? r.repeats.at(o.size) : 1;

  std::vector<VariantRuns> vs;
  for (const auto& v : r.variants) {
    VariantRuns vr;
    vr.variant = &v;
    vr.dir = (fs::path(o.out) / slug(v.label)).string();
    const Experiment base = variant_experiment(r, v, o.size, o.sets);
    for (long rep = 0; rep < repeats; ++rep) {
      Experiment e = base;
      e.seed = base.seed + static_cast<std::uint64_t>(rep);
      const std::string dir = repeats > 1 ? (fs::path(vr.dir) / ("seed" + std::to_string(e.seed))).string() : vr.dir;
      fs::create_directories(dir);
      fs::remove(fs::path(dir) / "run.json");
      CsvSink csv(dir);
      std::vector<Observer*> sinks{&csv};
      if (!o.quiet) std::fprintf(stderr, "  %s: variant %s, seed %llu\n", r.name.c_str(), v.label.c_str(),
                                 static_cast<unsigned long long>(e.seed));
      RunResult run = run_experiment(e, sinks);
      std::ofstream(fs::path(dir) / "run.json") << run_report(e, run).dump(2) << "\n";
      nlohmann::json th = theory_report(e);
      std::ofstream(fs::path(dir) / "theory.json") << th.dump(2) << "\n";
      if (figures && rep == 0) {
        const std::string err = render_run_figures(dir);
        if (!err.empty() && !o.quiet) std::fprintf(stderr, "gnuplot: %s\n", err.c_str());
      }
      vr.runs.push_back(std::move(run));
      vr.theory.push_back(std::move(th));
    }
    if (repeats > 1) vr.dir = (fs::path(vr.dir) / ("seed" + std::to_string(base.seed))).string();
    vs.push_back(std::move(vr));
  }
  for (auto& v : vs) v.siblings = &vs;

  ReproduceResult res;
  // Summary: one row per (variant, method), means over the repeats.
  std::ofstream csv(fs::path(o.out) / "summary.csv");
  csv << "variant,x,method,kind,status,final_loss,fitted_rate,t_reached,max_pattern_change,max_max_w_change,"
         "max_dist_init,lambda0,lambda_min_h0,loss0,repeats\n";
  for (const auto& v : vs) {
    const auto vars = variables(v);
    nlohmann::json jv;
    jv["label"] = v.variant->label;
    if (v.variant->has_x) jv["x"] = v.variant->x;
    jv["dir"] = fs::relative(v.dir, o.out).string();
    jv["theory"] = v.theory.front();
    for (const auto& m : v.runs.front().methods) {
      auto mean_metric = [&](const std::string& metric) {
        std::vector<double> vals;
        for (std::size_t k = 0; k < v.runs.size(); ++k) {
          const auto& mm = find_method(v.runs[k], m.spec.name, "summary");
          try {
            vals.push_back(method_metric(metric, mm, v.theory[k], v.runs[k], "summary"));
          } catch (const input_error&) {
            vals.push_back(nan);
          }
        }
        return mean_finite(vals);
      };
      const double fl = mean_metric("final_loss"), fr = mean_metric("fitted_rate"), tr = mean_metric("t_reached"),
                   pc = mean_metric("max(pattern_change)"), wc = mean_metric("max(max_w_change)"),
                   di = mean_metric("max(dist_init)");
      csv << v.variant->label << "," << (v.variant->has_x ? fmt(v.variant->x) : "nan") << "," << m.spec.name << ","
          << m.spec.kind << "," << to_string(m.outcome.status) << "," << fl << "," << fr << "," << tr << "," << pc << ","
          << wc << "," << di << "," << vars.at("lambda0") << "," << vars.at("lambda_min_h0") << "," << vars.at("loss0")
          << "," << v.runs.size() << "\n";
      auto num = [](double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(); };
      jv["methods"][m.spec.name] = {{"kind", m.spec.kind},       {"status", to_string(m.outcome.status)},
                                    {"final_loss", num(fl)},     {"fitted_rate", num(fr)},
                                    {"t_reached", num(tr)},      {"max_pattern_change", num(pc)},
                                    {"max_max_w_change", num(wc)}, {"max_dist_init", num(di)}};
    }
    res.summary["variants"].push_back(jv);
  }
  csv.close();

  for (std::size_t i = 0; i < r.claims.size(); ++i) {
    const std::string where = "recipe " + r.name + ", claims." + std::to_string(i);
    res.claims.push_back(check(r.claims[i], vs, where));
  }

  // Tables: means over the repeats, one row per variant, one column per method.
  {
    std::ostringstream tm;
    for (std::size_t ti = 0; ti < r.tables.size(); ++ti) {
      const auto& tab = r.tables[ti];
      const std::string where = "recipe " + r.name + ", tables." + std::to_string(ti);
      std::vector<std::string> methods = tab.methods;
      if (methods.empty())
        for (const auto& m : vs.front().runs.front().methods) methods.push_back(m.spec.name);
      // With the paper's values: its column and, for one method, measured − paper.
      const bool paper = !tab.paper.empty(), diff = paper && methods.size() == 1;
      tm << "**" << tab.title << "** (`" << tab.metric << "`, mean" << (repeats > 1 ? " ± seed-to-seed standard deviation" : "")
         << " over " << repeats << " seed(s))\n\n| variant |";
      for (const auto& m : methods) tm << " " << m << " |";
      if (paper) tm << " " << tab.paper_label << " |";
      if (diff) tm << " difference |";
      tm << "\n|---|";
      for (std::size_t k = 0; k < methods.size() + (paper ? 1 : 0) + (diff ? 1 : 0); ++k) tm << "---|";
      tm << "\n";
      nlohmann::json jt;
      jt["title"] = tab.title;
      jt["metric"] = tab.metric;
      for (const auto& v : vs) {
        tm << "| " << v.variant->label << " |";
        for (const auto& mname : methods) {
          std::vector<double> vals;
          bool present = false;
          for (std::size_t k = 0; k < v.runs.size(); ++k)
            for (const auto& m : v.runs[k].methods)
              if (m.spec.name == mname) {
                present = true;
                vals.push_back(method_metric(tab.metric, m, v.theory[k], v.runs[k], where));
              }
          const long finite = std::count_if(vals.begin(), vals.end(), [](double x) { return std::isfinite(x); });
          const double mean = mean_finite(vals), sd = sample_sd(vals);
          tm << " " << (!present ? "—" : finite == 0 ? "not reached" : fmt(ClaimValue{mean, sd, false}));
          if (present && finite > 0 && finite < static_cast<long>(vals.size()))
            tm << " (" << finite << "/" << vals.size() << " seeds)";
          tm << " |";
          if (present) {
            jt["rows"][v.variant->label][mname] = std::isfinite(mean) ? nlohmann::json(mean) : nlohmann::json();
            jt["spread"][v.variant->label][mname] = std::isfinite(mean) ? nlohmann::json(sd) : nlohmann::json();
            jt["reached"][v.variant->label][mname] = finite;
          }
          if (diff) {
            const auto it = tab.paper.find(v.variant->label);
            const bool all = present && finite == static_cast<long>(vals.size());
            tm << " " << (it == tab.paper.end() ? "—" : fmt(it->second)) << " | "
               << (it == tab.paper.end() || !all ? "—" : (mean >= it->second ? "+" : "") + fmt(mean - it->second)) << " |";
          }
        }
        if (paper && !diff) {
          const auto it = tab.paper.find(v.variant->label);
          tm << " " << (it == tab.paper.end() ? "—" : fmt(it->second)) << " |";
        }
        if (const auto it = tab.paper.find(v.variant->label); it != tab.paper.end())
          jt["paper"][v.variant->label] = it->second;
        tm << "\n";
      }
      tm << "\n";
      res.summary["tables"].push_back(jt);
    }
    res.tables_text = tm.str();
  }

  std::vector<std::string> figs;
  if (figures)
    for (const auto& f : r.figures)
      for (std::size_t i = 0; i < f.columns.size(); ++i) {
        overlay_figure(o.out, vs, f, i);
        const std::string png = f.stem(f.columns[i]) + ".png";
        if (fs::exists(fs::path(o.out) / png)) figs.push_back(png);
      }

  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  res.summary["recipe"] = r.name;
  res.summary["size"] = o.size;
  res.summary["repeats"] = repeats;
  res.summary["wall_seconds"] = wall;
  for (const auto& c : res.claims)
    res.summary["claims"].push_back({{"text", c.claim.text},
                                     {"paper", c.claim.paper},
                                     {"pass", c.pass},
                                     {"verdict", to_string(c.verdict)},
                                     {"measured", c.measured}});
  res.summary["counts"] = {{"pass", res.count(Verdict::pass)},
                           {"fail", res.count(Verdict::fail)},
                           {"inconclusive", res.count(Verdict::inconclusive)}};
  std::ofstream(fs::path(o.out) / "summary.json") << res.summary.dump(2) << "\n";

  // report.md
  std::ostringstream md;
  md << "# " << r.title << "\n\n";
  md << "Paper: " << r.paper << "\n\n";
  md << "Command: `gradflow reproduce " << r.name << (o.size == "full" ? " --full" : o.size == "tiny" ? " (test size tiny)" : "")
     << "` — size **" << o.size << "**, " << repeats << " seed(s) per variant, " << fmt(wall) << " s wall time.\n\n";
  md << "**The paper's claim.** " << r.claim << "\n\n";
  if (!r.description.empty()) md << "**What is run.** " << r.description << "\n\n";
  md << "## Variants\n\n| variant | folder | L(0) | λ0 | λ_min(H(θ0)) | method: final loss / fitted rate |\n|---|---|---|---|---|---|\n";
  for (const auto& v : vs) {
    const auto vars = variables(v);
    md << "| " << v.variant->label << " | `" << fs::relative(v.dir, o.out).string() << "/` | " << fmt(vars.at("loss0")) << " | "
       << fmt(vars.at("lambda0")) << " | " << fmt(vars.at("lambda_min_h0")) << " | ";
    for (const auto& m : v.runs.front().methods)
      md << m.spec.name << ": " << fmt(m.final_value("loss")) << " / " << fmt(m.rate)
         << (m.outcome.status == Status::completed ? "" : " (" + to_string(m.outcome.status) + ")") << "<br>";
    md << " |\n";
  }
  if (!res.tables_text.empty()) md << "\n## Tables\n\n" << res.tables_text;
  md << "\n## Claims\n\n| # | the paper says | checked here | measured | result |\n|---|---|---|---|---|\n";
  for (std::size_t i = 0; i < res.claims.size(); ++i) {
    const auto& c = res.claims[i];
    md << "| " << i + 1 << " | " << (c.claim.paper.empty() ? "—" : cell(c.claim.paper)) << " | " << cell(c.claim.text) << " | "
       << cell(c.measured) << " | " << (c.pass ? "PASS" : c.verdict == Verdict::fail ? "**FAIL**" : "**INCONCLUSIVE**")
       << " |\n";
  }
  md << "\n" << res.counts_text() << ". INCONCLUSIVE: the means agree with the claim but a level was not reached "
        "(censored) or a trend step is within the seed-to-seed spread.\n";
  md << "\n## Where the measurement disagrees with the paper\n\n";
  bool any = false;
  for (std::size_t i = 0; i < res.claims.size(); ++i)
    if (!res.claims[i].pass) {
      any = true;
      md << "- Claim " << i + 1 << " (" << res.claims[i].claim.text << ") "
         << (res.claims[i].verdict == Verdict::fail ? "does not hold" : "is not established (INCONCLUSIVE)")
         << " at this size: " << res.claims[i].measured << ".\n";
    }
  if (!any) md << "Nowhere at this size: every claim above holds on the measured numbers.\n";
  md << "\n## Figures\n\n";
  for (const auto& f : figs) md << "![" << f << "](" << f << ")\n\n";
  for (const auto& v : vs)
    if (fs::exists(fs::path(v.dir) / "loss.png"))
      md << "- " << v.variant->label << ": [loss](" << fs::relative(fs::path(v.dir) / "loss.png", o.out).string() << ")\n";
  md << "\nsummary.csv holds one row per (variant, method); each variant's folder is a `gradflow run` folder "
        "(CSVs, run.json, theory.json, figures).\n";
  res.report_path = (fs::path(o.out) / "report.md").string();
  std::ofstream(res.report_path) << md.str();
  return res;
}

}  // namespace gradflow
