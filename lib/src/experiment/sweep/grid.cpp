// The grid of a sweep: axes from [sweep] and the command line, their product, the points'
// names and experiments.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "gradflow/core/error.hpp"
#include "gradflow/core/quote.hpp"
#include "gradflow/experiment/sweep.hpp"

namespace gradflow {
namespace {

constexpr std::size_t max_points = 100000;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw input_error("cannot open experiment file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// "a..b" with integers a <= b, expanded; nothing when `item` is not such a range.
std::optional<std::vector<std::string>> integer_range(const std::string& item, const std::string& key) {
  const auto dots = item.find("..");
  if (dots == std::string::npos) return std::nullopt;
  long long a = 0, b = 0;
  const char* first = item.data();
  const char* mid = first + dots;
  const char* last = first + item.size();
  if (std::from_chars(first, mid, a).ptr != mid || std::from_chars(mid + 2, last, b).ptr != last)
    throw input_error("sweep axis '" + key + "': '" + item + "' is not a range of integers a..b");
  if (b < a) throw input_error("sweep axis '" + key + "': the range " + item + " is empty");
  if (b - a >= static_cast<long long>(max_points))
    throw input_error("sweep axis '" + key + "': the range " + item + " has more than " + std::to_string(max_points) + " values");
  std::vector<std::string> values;
  for (long long v = a; v <= b; ++v) values.push_back(std::to_string(v));
  return values;
}

/// A JSON scalar (from the [sweep] table) as the TOML text `--set` reads back to the same value.
std::string toml_text(const nlohmann::json& v, const std::string& key) {
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number_float()) {
    const double x = v.get<double>();
    if (!std::isfinite(x)) throw input_error("sweep axis '" + key + "': values must be finite");
    char buf[64];
    const auto end = std::to_chars(buf, buf + sizeof buf, x).ptr;  // shortest text that reads back as x
    std::string s(buf, end);
    if (s.find_first_of(".e") == std::string::npos) s += ".0";      // stays a float in TOML
    return s;
  }
  if (v.is_string()) return nlohmann::json(v.get<std::string>()).dump();  // a JSON string is a TOML basic string
  throw input_error("sweep axis '" + key + "': values are numbers, booleans or strings, not " + std::string(v.type_name()));
}

/// One [sweep] entry: a list of values, or a string "a..b".
SweepAxis file_axis(const std::string& key, const nlohmann::json& v, bool zip) {
  SweepAxis axis{key, {}, zip};
  if (v.is_string()) {
    auto range = integer_range(v.get<std::string>(), key);
    if (!range) throw input_error("sweep axis '" + key + "': expected a list of values or a range \"a..b\"");
    axis.values = std::move(*range);
  } else if (v.is_array()) {
    for (const auto& item : v) axis.values.push_back(toml_text(item, key));
  } else {
    throw input_error("sweep axis '" + key + "': expected a list of values or a range \"a..b\", got " + std::string(v.type_name()));
  }
  return axis;
}

/// Folder names keep letters, digits and . + - ; anything else becomes '_'.
std::string name_part(const std::string& text) {
  std::string s;
  for (const char c : text) s += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '+' || c == '-') ? c : '_';
  return s.size() <= 40 ? s : s.substr(0, 40);
}

double number_or(const nlohmann::json& j, const char* pointer, double fallback) {
  const auto p = nlohmann::json::json_pointer(pointer);
  return j.contains(p) && j[p].is_number() ? j[p].get<double>() : fallback;
}

/// Run time grows about with samples × width × data size × methods (an estimate for ordering).
double estimated_cost(const Experiment& e) {
  const auto& c = e.resolved;
  return std::max(1.0, number_or(c, "/data/n", 1)) * std::max(1.0, number_or(c, "/data/d", 1)) *
         std::max(1.0, number_or(c, "/model/width", 1)) * std::max(1.0, number_or(c, "/run/t_end", 1)) *
         static_cast<double>(std::max<std::size_t>(1, e.methods.size()));
}

}  // namespace

SweepAxis parse_axis(const std::string& assignment, bool zip) {
  const std::string option = zip ? "--zip" : "--grid";
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) throw input_error(option + " expects key=v1,v2,..., got '" + assignment + "'");
  SweepAxis axis{assignment.substr(0, eq), {}, zip};
  std::stringstream items(assignment.substr(eq + 1));
  std::string item;
  while (std::getline(items, item, ',')) {
    if (item.empty()) throw input_error(option + " " + axis.key + ": an empty value");
    if (auto range = integer_range(item, axis.key)) {
      axis.values.insert(axis.values.end(), range->begin(), range->end());
    } else {
      axis.values.push_back(item);
    }
  }
  return axis;
}

Experiment SweepPlan::experiment(const SweepPoint& point) const {
  Config config = Config::parse(base_text, source);
  config.take_table("sweep");
  for (const auto& s : sets) config.set(s);
  for (const auto& [key, value] : point.coordinates) config.set(key + "=" + value);
  return parse_experiment(config);
}

SweepPlan plan_sweep(const std::string& file, const std::vector<std::string>& sets,
                     const std::vector<std::string>& grid, const std::vector<std::string>& zip) {
  return file.empty() ? plan_sweep_text(default_experiment_toml(), "default experiment", sets, grid, zip)
                      : plan_sweep_text(read_file(file), file, sets, grid, zip);
}

SweepPlan plan_sweep_text(const std::string& text, const std::string& source, const std::vector<std::string>& sets,
                          const std::vector<std::string>& grid, const std::vector<std::string>& zip) {
  SweepPlan plan;
  plan.base_text = text;
  plan.source = source;
  plan.sets = sets;

  Config base = Config::parse(plan.base_text, plan.source);
  std::vector<SweepAxis> axes;
  if (const auto table = base.take_table("sweep")) {
    for (const auto& [key, v] : table->items()) {
      if (key == "zip") {
        if (!v.is_object()) throw input_error("sweep.zip: expected a table of axes that advance together");
        for (const auto& [zkey, zv] : v.items()) axes.push_back(file_axis(zkey, zv, true));
      } else {
        axes.push_back(file_axis(key, v, false));
      }
    }
  }
  // The command line's axes replace the file's of the same key.
  auto add = [&](SweepAxis axis) {
    std::erase_if(axes, [&](const SweepAxis& a) { return a.key == axis.key; });
    axes.push_back(std::move(axis));
  };
  for (const auto& g : grid) add(parse_axis(g, false));
  for (const auto& z : zip) add(parse_axis(z, true));
  if (axes.empty()) throw input_error("sweep: no axes (give a [sweep] table or --grid key=v1,v2,...)");

  std::size_t zip_length = 0;
  for (const auto& a : axes) {
    require_printable(a.key, "sweep axis");
    if (a.values.empty()) throw input_error("sweep axis '" + a.key + "': no values");
    for (const auto& v : a.values) require_printable(v, "sweep axis '" + a.key + "'");
    if (std::set<std::string>(a.values.begin(), a.values.end()).size() != a.values.size())
      throw input_error("sweep axis '" + a.key + "': a value is repeated");
    if (!a.zip) continue;
    if (zip_length && a.values.size() != zip_length)
      throw input_error("sweep axis '" + a.key + "': zip axes need equal lengths (" + std::to_string(a.values.size()) +
                        " against " + std::to_string(zip_length) + ")");
    zip_length = a.values.size();
  }
  // Product axes in order, the zip group as one factor where its first axis stands.
  std::vector<std::vector<std::size_t>> factors;  // axis indices per factor
  bool zip_placed = false;
  for (std::size_t i = 0; i < axes.size(); ++i) {
    if (!axes[i].zip) {
      factors.push_back({i});
    } else if (!zip_placed) {
      zip_placed = true;
      factors.emplace_back();
      for (std::size_t j = i; j < axes.size(); ++j)
        if (axes[j].zip) factors.back().push_back(j);
    }
  }
  double count = 1;
  for (const auto& f : factors) count *= static_cast<double>(axes[f.front()].values.size());
  if (count > static_cast<double>(max_points))
    throw input_error("sweep: " + std::to_string(static_cast<long long>(count)) + " points, more than " +
                      std::to_string(max_points));

  for (const auto& s : sets) base.set(s);
  plan.base_config = parse_experiment(base).resolved;

  const std::size_t n = static_cast<std::size_t>(count);
  const int digits = static_cast<int>(std::to_string(n - 1).size());
  for (std::size_t index = 0; index < n; ++index) {
    SweepPoint point;
    point.index = index;
    std::size_t rest = index;
    std::vector<std::size_t> at(factors.size());
    for (std::size_t f = factors.size(); f-- > 0;) {  // the last factor varies fastest
      const std::size_t len = axes[factors[f].front()].values.size();
      at[f] = rest % len;
      rest /= len;
    }
    for (std::size_t f = 0; f < factors.size(); ++f)
      for (const std::size_t a : factors[f]) point.coordinates.emplace_back(axes[a].key, axes[a].values[at[f]]);
    std::string name = std::to_string(index);
    name.insert(0, static_cast<std::size_t>(digits) - name.size(), '0');
    for (std::size_t c = 0; c < point.coordinates.size(); ++c)
      name += (c ? "__" : "_") + name_part(point.coordinates[c].first) + "=" + name_part(point.coordinates[c].second);
    point.name = name;
    try {
      point.cost = estimated_cost(plan.experiment(point));
    } catch (const input_error& e) {
      throw input_error("sweep point " + point.name + ": " + e.what());
    }
    plan.points.push_back(std::move(point));
  }
  plan.axes = std::move(axes);
  return plan;
}

}  // namespace gradflow
