#include "gradflow/plot/figure.hpp"

#include <algorithm>
#include <filesystem>

namespace gradflow {

namespace fs = std::filesystem;

std::vector<std::string> figure_files(const std::string& dir) {
  std::vector<std::string> names;
  for (const char* kind : {"loss", "lyapunov", "invariants", "ntk", "compare"})
    for (const char* ext : {".png", ".svg"})
      if (fs::exists(fs::path(dir) / (std::string(kind) + ext))) names.push_back(std::string(kind) + ext);
  return names;
}

std::string render_run_figures(const std::string& dir, const RenderOptions& options) {
  // A folder written by `gradflow compare` alone holds compare.csv and no run.json.
  if (!fs::exists(fs::path(dir) / "run.json") && fs::exists(fs::path(dir) / "compare.csv"))
    return render_compare_figure(dir, options);
  const std::vector<Figure> figures = plan_run_figures(dir);
  std::string reports;
  for (const std::string kind : {"loss", "lyapunov", "invariants", "ntk"}) {
    const auto it = std::find_if(figures.begin(), figures.end(), [&](const Figure& f) { return f.template_name == kind; });
    if (it == figures.end()) {
      // A figure this run does not get must not survive from an earlier run in the folder.
      std::error_code ec;
      for (const char* ext : {".png", ".svg"}) fs::remove(fs::path(dir) / (kind + ext), ec);
      continue;
    }
    reports += render(*it, dir, options);
  }
  if (fs::exists(fs::path(dir) / "compare.csv")) reports += render_compare_figure(dir, options);
  return reports;
}

std::string render_compare_figure(const std::string& dir, const RenderOptions& options) {
  return render(plan_compare_figure(dir), dir, options);
}

}  // namespace gradflow
