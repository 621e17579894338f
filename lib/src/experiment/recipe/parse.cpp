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
#include "gradflow/experiment/runner.hpp"
#include "gradflow/experiment/theory_report.hpp"
#include "gradflow/plot/figure.hpp"

namespace fs = std::filesystem;

namespace gradflow::recipe_detail {

std::string str(const toml::table& t, const std::string& key, const std::string& recipe, bool required = false) {
  const auto* n = t.get(key);
  if (!n) {
    if (required) bad(recipe, key, "is required");
    return "";
  }
  if (!n->is_string()) bad(recipe, key, "must be a string");
  return std::string(*n->value<std::string>());
}

std::vector<std::string> strings(const toml::node* n, const std::string& key, const std::string& recipe) {
  std::vector<std::string> out;
  if (!n) return out;
  const auto* a = n->as_array();
  if (!a) bad(recipe, key, "must be an array of strings");
  for (const auto& e : *a) {
    if (!e.is_string()) bad(recipe, key, "must be an array of strings");
    out.emplace_back(*e.value<std::string>());
  }
  return out;
}
}  // namespace gradflow::recipe_detail

namespace gradflow {

using namespace recipe_detail;

Recipe parse_recipe(const std::string& text, const std::string& name) { return parse_recipe_in(text, name, ""); }

Recipe parse_recipe_in(const std::string& text, const std::string& name, const std::string& dir) {
  check_config_nesting(text, "recipes/" + name + ".toml");  // toml++ recurses on deep input
  toml::table t;
  try {
    t = toml::parse(text, "recipes/" + name + ".toml");
  } catch (const toml::parse_error& e) {
    std::ostringstream s;
    s << e.description() << " (line " << e.source().begin.line << ")";
    bad(name, "TOML", s.str());
  }
  Recipe r;
  r.name = name;
  r.dir = dir;
  r.title = str(t, "title", name, true);
  r.paper = str(t, "paper", name, true);
  r.claim = str(t, "claim", name, true);
  r.description = str(t, "description", name);
  const auto* base = t.get_as<toml::table>("base");
  if (!base) bad(name, "base", "a [base] table (an experiment) is required");
  {
    std::ostringstream s;
    s << *base;
    r.base_toml = s.str();
  }
  if (const auto* sizes = t.get_as<toml::table>("sizes"))
    for (const auto& [k, v] : *sizes) {
      const std::string key(k.str());
      if (std::find(std::begin(kSizes), std::end(kSizes), key) == std::end(kSizes)) bad(name, "sizes." + key, "sizes are tiny, default, full");
      r.sizes[key] = strings(&v, "sizes." + key, name);
    }
  if (const auto* rep = t.get_as<toml::table>("repeats"))
    for (const auto& [k, v] : *rep) {
      const auto n = v.value<int64_t>();
      if (!n || *n < 1) bad(name, "repeats." + std::string(k.str()), "must be a positive integer");
      r.repeats[std::string(k.str())] = static_cast<long>(*n);
    }
  const auto* variants = t.get_as<toml::array>("variants");
  if (!variants || variants->empty()) bad(name, "variants", "at least one [[variants]] entry is required");
  for (std::size_t i = 0; i < variants->size(); ++i) {
    const auto* vt = variants->get(i)->as_table();
    const std::string key = "variants." + std::to_string(i);
    if (!vt) bad(name, key, "must be a table");
    RecipeVariant v;
    v.label = str(*vt, "label", name, true);
    require_printable(v.label, "recipe " + name + ": variants.label");
    if (const auto* x = vt->get("x")) {
      if (!x->is_number()) bad(name, key + ".x", "must be a number");
      v.x = *x->value<double>();
      v.has_x = true;
    }
    v.set = strings(vt->get("set"), key + ".set", name);
    for (const char* s : kSizes) v.per_size[s] = strings(vt->get(s), key + "." + s, name);
    for (const auto& [k, _] : *vt) {
      const std::string kk(k.str());
      if (kk != "label" && kk != "x" && kk != "set" && std::find(std::begin(kSizes), std::end(kSizes), kk) == std::end(kSizes))
        bad(name, key + "." + kk, "unknown key (label, x, set, tiny, default, full)");
    }
    r.variants.push_back(v);
  }
  // Claims, figures and tables name variants by label.
  const auto require_variant = [&](const std::string& label, const std::string& key) {
    if (std::none_of(r.variants.begin(), r.variants.end(), [&](const RecipeVariant& v) { return v.label == label; }))
      bad(name, key, "no variant labelled '" + label + "'");
  };
  if (const auto* claims = t.get_as<toml::array>("claims"))
    for (std::size_t i = 0; i < claims->size(); ++i) {
      const auto* ct = claims->get(i)->as_table();
      const std::string key = "claims." + std::to_string(i);
      if (!ct) bad(name, key, "must be a table");
      RecipeClaim c;
      c.text = str(*ct, "text", name, true);
      c.paper = str(*ct, "paper", name);
      c.kind = str(*ct, "kind", name, true);
      c.metric = str(*ct, "metric", name);
      c.direction = str(*ct, "direction", name);
      c.lhs = str(*ct, "lhs", name);
      c.op = str(*ct, "op", name);
      c.rhs = str(*ct, "rhs", name);
      c.method = str(*ct, "method", name);
      c.column = str(*ct, "column", name);
      c.after = str(*ct, "after", name);
      if (const auto* e = ct->get("expect")) c.expect = e->value<bool>().value_or(true);
      if (const auto* a = ct->get("about_not_reaching")) {
        if (!a->is_boolean()) bad(name, key + ".about_not_reaching", "must be true or false");
        c.about_not_reaching = *a->value<bool>();
      }
      if (const auto* tol = ct->get("tol")) c.tol = tol->value<double>().value_or(0.0);
      c.variants = strings(ct->get("variants"), key + ".variants", name);
      if (c.kind == "trend") {
        if (c.metric.empty()) bad(name, key + ".metric", "a trend needs a metric");
        if (c.direction != "increasing" && c.direction != "decreasing") bad(name, key + ".direction", "increasing or decreasing");
      } else if (c.kind == "compare") {
        if (c.lhs.empty() || c.rhs.empty()) bad(name, key, "compare needs lhs and rhs");
        if (c.op != "<" && c.op != "<=" && c.op != ">" && c.op != ">=") bad(name, key + ".op", "one of < <= > >=");
      } else if (c.kind == "monotone") {
        if (c.method.empty() || c.column.empty()) bad(name, key, "monotone needs method and column");
        if (c.direction.empty()) c.direction = "nonincreasing";
        if (c.direction != "nonincreasing" && c.direction != "nondecreasing") bad(name, key + ".direction", "nonincreasing or nondecreasing");
      } else {
        bad(name, key + ".kind", "trend, compare or monotone, got '" + c.kind + "'");
      }
      for (const auto& l : c.variants) require_variant(l, key + ".variants");
      r.claims.push_back(c);
    }
  if (const auto* figs = t.get_as<toml::array>("figures"))
    for (std::size_t i = 0; i < figs->size(); ++i) {
      const auto* ft = figs->get(i)->as_table();
      if (!ft) bad(name, "figures", "must be tables");
      RecipeFigure f;
      f.method = str(*ft, "method", name, true);
      f.columns = strings(ft->get("columns"), "figures.columns", name);
      // They name the figure's files and the CSVs it reads.
      require_identifier(f.method, "recipe " + name + ": figures.method");
      for (const auto& col : f.columns) require_identifier(col, "recipe " + name + ": figures.columns");
      f.reference = str(*ft, "reference", name);
      if (!f.reference.empty()) require_identifier(f.reference, "recipe " + name + ": figures.reference");
      if (const auto* tx = ft->get("time_times_x")) f.time_times_x = tx->value<bool>().value_or(false);
      if (const auto* xb = ft->get("xu_bound")) f.xu_bound = xb->value<bool>().value_or(false);
      f.variants = strings(ft->get("variants"), "figures.variants", name);
      for (const auto& l : f.variants) require_variant(l, "figures.variants");
      f.name = str(*ft, "name", name);
      if (!f.name.empty()) require_identifier(f.name, "recipe " + name + ": figures.name");
      if (const auto* ly = ft->get_as<toml::array>("logy"))
        for (const auto& b : *ly) f.logy.push_back(b.value<bool>().value_or(false));
      r.figures.push_back(f);
    }
  if (const auto* tabs = t.get_as<toml::array>("tables"))
    for (std::size_t i = 0; i < tabs->size(); ++i) {
      const auto* tt = tabs->get(i)->as_table();
      const std::string key = "tables." + std::to_string(i);
      if (!tt) bad(name, key, "must be a table");
      RecipeTable tab;
      tab.title = str(*tt, "title", name, true);
      tab.metric = str(*tt, "metric", name, true);
      tab.methods = strings(tt->get("methods"), key + ".methods", name);
      if (const auto* pl = tt->get("paper_label")) {
        if (!pl->is_string()) bad(name, key + ".paper_label", "must be a string");
        tab.paper_label = *pl->value<std::string>();
      }
      if (const auto* pv = tt->get("paper")) {
        const auto* pt = pv->as_table();
        if (!pt) bad(name, key + ".paper", "must be a table of variant label = number");
        for (const auto& [label, num] : *pt) {
          const std::string l(label.str());
          if (!num.is_number()) bad(name, key + ".paper." + l, "must be a number");
          require_variant(l, key + ".paper");
          tab.paper[l] = *num.value<double>();
        }
      }
      r.tables.push_back(tab);
    }
  // Every variant must be a valid experiment at every size.
  for (const char* size : kSizes)
    for (const auto& v : r.variants) (void)variant_experiment(r, v, size, {});
  return r;
}

Recipe load_recipe(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw input_error("cannot open recipe '" + path.string() + "'");
  std::stringstream s;
  s << in.rdbuf();
  // The folder is needed while parsing: the variants' relative data paths resolve there.
  return parse_recipe_in(s.str(), path.stem().string(), path.parent_path().string());
}

Recipe find_recipe(const std::string& name) {
  if (name.empty() || name.find_first_of("/\\.") != std::string::npos)
    throw input_error("reproduce: bad recipe name '" + name + "' (see gradflow reproduce --list)");
  fs::path p;
  try {
    p = resource_path("recipes/" + name + ".toml");
  } catch (const input_error&) {
    std::string names;
    for (const auto& [n, _] : list_recipes()) names += " " + n;
    throw input_error("reproduce: no recipe named '" + name + "' (available:" + names + ")");
  }
  return load_recipe(p);
}

std::vector<std::pair<std::string, std::string>> list_recipes() {
  std::vector<std::pair<std::string, std::string>> out;
  const fs::path dir = resource_path("recipes");
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".toml") continue;
    std::string title;
    try {
      std::ifstream in(e.path());
      std::stringstream s;
      s << in.rdbuf();
      check_config_nesting(s.str(), e.path().filename().string());
      const auto t = toml::parse(s.str());
      title = t["title"].value_or(std::string());
    } catch (const std::exception& ex) {
      title = std::string("(invalid: ") + ex.what() + ")";
    }
    out.emplace_back(e.path().stem().string(), title);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace gradflow
