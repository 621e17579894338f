#include "gradflow/plot/render.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <gnuplot-iostream.h>
#include <sstream>

#include "gradflow/core/quote.hpp"
#include "gradflow/core/resources.hpp"
#include "gradflow/plot/thin.hpp"

namespace gradflow {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Data rows of a CSV (lines after the header that are not blank).
std::size_t data_rows(const std::string& text) {
  std::size_t rows = 0;
  bool header = true, blank = true;
  for (const char c : text) {
    if (c == '\n') {
      if (!header && !blank) ++rows;
      header = false;
      blank = true;
    } else if (c != '\r') {
      blank = false;
    }
  }
  return rows + (!header && !blank ? 1 : 0);
}

/// A data file name that stays inside the folder it is read from.
bool inside(const fs::path& relative) {
  if (relative.empty() || relative.is_absolute()) return false;
  for (const auto& part : relative)
    if (part == "..") return false;
  return true;
}

/// Writes the header and the thinned rows of CSV `text` to `to`; returns the rows written.
std::size_t write_thinned(const std::string& text, const fs::path& to, const Figure& f, std::size_t max_points) {
  std::istringstream in(text);
  std::string header, line;
  std::getline(in, header);
  std::vector<std::string> lines;
  while (std::getline(in, line))
    if (!line.empty() && line != "\r") lines.push_back(std::move(line));
  // The x column by name (without one the thinning goes by row index) and the drawn ones.
  std::vector<std::string> header_names;
  std::stringstream names(header);
  for (std::string name; std::getline(names, name, ',');) {
    if (!name.empty() && name.back() == '\r') name.pop_back();
    header_names.push_back(name);
  }
  auto index_of = [&](const std::string& name) {
    const auto it = std::find(header_names.begin(), header_names.end(), name);
    return it == header_names.end() ? -1L : static_cast<long>(it - header_names.begin());
  };
  std::vector<long> y_at;
  for (const auto& c : f.y_columns)
    if (const long at = index_of(c); at >= 0 && c != f.x_column) y_at.push_back(at);
  const long x_at = index_of(f.x_column);
  std::vector<double> x(lines.size(), 0.0);
  std::vector<std::vector<double>> ys(y_at.size(), std::vector<double>(lines.size(), std::nan("")));
  std::vector<double> fields;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    fields.clear();
    const char* p = lines[i].c_str();
    for (;;) {
      fields.push_back(std::strtod(p, nullptr));
      p = std::strchr(p, ',');
      if (!p) break;
      ++p;
    }
    auto field = [&](long at) { return at < static_cast<long>(fields.size()) ? fields[at] : std::nan(""); };
    x[i] = x_at < 0 ? static_cast<double>(i) : field(x_at);
    for (std::size_t c = 0; c < y_at.size(); ++c) ys[c][i] = field(y_at[c]);
  }
  const std::vector<std::size_t> keep = thin_rows(x, max_points, f.log_x, ys);
  std::ofstream out(to, std::ios::binary);
  out << header << "\n";
  for (const std::size_t i : keep) out << lines[i] << "\n";
  return keep.size();
}

/// The folder gnuplot reads a figure's data from: `dir` itself when no data file is longer
/// than max_points rows, else a temporary folder beside the figure holding every data file,
/// the long ones thinned. Removed when it goes out of scope.
struct DataFolder {
  fs::path path;
  fs::path temporary;  ///< empty when the data are read in place
  std::size_t rows = 0;

  DataFolder(const Figure& f, const std::string& dir, const fs::path& beside, std::size_t max_points) : path(fs::absolute(dir)) {
    std::vector<std::string> texts;
    bool thin = false, safe = true;
    for (const auto& name : f.data) {
      texts.push_back(slurp(fs::path(dir) / name));
      const std::size_t n = data_rows(texts.back());
      rows = std::max(rows, n);
      thin = thin || n > max_points;
      safe = safe && inside(fs::path(name));
    }
    if (!thin || !safe) return;
    temporary = beside;
    std::error_code ec;
    fs::remove_all(temporary, ec);  // left by a killed render
    rows = 0;
    for (std::size_t i = 0; i < f.data.size(); ++i) {
      const fs::path to = temporary / f.data[i];
      fs::create_directories(to.parent_path());
      if (!fs::exists(fs::path(dir) / f.data[i])) continue;  // gnuplot names what is missing
      rows = std::max(rows, write_thinned(texts[i], to, f, max_points));
    }
    path = temporary;
  }
  ~DataFolder() {
    std::error_code ec;
    if (!temporary.empty()) fs::remove_all(temporary, ec);
  }
  DataFolder(const DataFolder&) = delete;
  DataFolder& operator=(const DataFolder&) = delete;
};

/// The line of gnuplot's messages that says what went wrong: the last one that is neither
/// blank nor an echo of the offending command (a "gnuplot>" line or the caret under it).
std::string last_message(const std::string& errors) {
  std::istringstream in(errors);
  std::string line, found;
  while (std::getline(in, line)) {
    const auto b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos) continue;
    std::string t = line.substr(b, line.find_last_not_of(" \t\r") - b + 1);
    if (t.rfind("gnuplot>", 0) == 0 || t.find_first_not_of("^ ") == std::string::npos) continue;
    found = t;
  }
  return found.size() > 240 ? found.substr(0, 240) + "..." : found;
}

bool timeout_available() {
  static const bool available = std::system("command -v timeout >/dev/null 2>&1") == 0;
  return available;
}

}  // namespace

std::string Figure::variable(const std::string& name) const {
  for (const auto& [k, v] : variables)
    if (k == name) return v;
  return "";
}

std::string gnuplot_number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  std::string s = buf;
  const auto e = s.find_first_of("eE");
  if (e != std::string::npos && s.find('.') == std::string::npos) s.insert(e, ".0");
  return s;
}

std::string gnuplot_words(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& item : items) {
    std::string w = item;
    std::replace(w.begin(), w.end(), '"', '\'');
    if (w.empty() || w.find_first_of(" \t") != std::string::npos) w = "\"" + w + "\"";
    s += (s.empty() ? "" : " ") + w;
  }
  return s;
}

bool gnuplot_available() { return std::system("command -v gnuplot >/dev/null 2>&1") == 0; }

Rendered render_figure(const Figure& f, const std::string& dir, const RenderOptions& o) {
  const fs::path tmpl = resource_path("plots/" + f.template_name + ".gp");
  const fs::path stem = fs::absolute(f.stem), folder = stem.parent_path();
  const std::string name = stem.filename().string();
  const fs::path log = folder / (name + ".gnuplot.log");
  std::vector<std::string> exts{".png"};
  if (f.svg) exts.push_back(".svg");
  auto final_path = [&](const std::string& ext) { return folder / (name + ext); };
  auto partial_path = [&](const std::string& ext) { return folder / ("." + name + ext + ".part"); };

  const DataFolder data(f, dir, folder / ("." + name + ".data.part"), o.max_points);
  Rendered r;
  r.data_rows = data.rows;
  std::ostringstream script;
  script << "cd " << gnuplot_quote(data.path.string(), "output folder") << "\n";
  for (const auto& ext : exts) {
    for (const auto& [var, value] : f.variables) script << var << " = " << gnuplot_quote(value, "figure " + f.stem + ", " + var) << "\n";
    script << "set encoding utf8\n";
    script << "set terminal " << (ext == ".png" ? "pngcairo" : "svg dynamic") << " size " << f.width << "," << f.height
           << " font 'Sans,11'\n";
    script << "set output " << gnuplot_quote(partial_path(ext).string(), "output folder") << "\n";
    script << "load " << gnuplot_quote(tmpl.string(), "plot template") << "\n";
    script << "unset multiplot\n";  // in case the template stopped on an error inside one
    script << "unset output\n";
    script << "reset session\n";
  }
  script << "exit\n";
  r.script = script.str();

  // gnuplot-iostream runs the command through the shell; gnuplot's stderr and then its exit
  // status (124 from timeout(1) when it ran out of time) go to the log.
  char limit[32] = "";
  if (o.timeout_seconds > 0 && timeout_available()) std::snprintf(limit, sizeof limit, "timeout -k 5 %g ", o.timeout_seconds);
  const std::string marker = "gradflow: gnuplot exit ";
  {
    // gnuplot stopped by the time limit before it read the whole script closes the pipe:
    // the write must fail quietly instead of killing this process with SIGPIPE.
    struct sigaction ignore {}, saved {};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ignore, &saved);
    try {
      Gnuplot gp("{ " + std::string(limit) + "gnuplot; echo \"" + marker + "$?\" >&2; } 2> " + shell_quote(log.string(), "output folder"));
      gp << r.script;
    } catch (const std::exception&) {  // the status in the log tells what happened
    }  // the destructor waits for gnuplot to finish
    sigaction(SIGPIPE, &saved, nullptr);
  }
  const std::string text = slurp(log);
  const auto at = text.rfind(marker);
  const int code = at == std::string::npos ? -1 : std::atoi(text.c_str() + at + marker.size());
  r.errors = text.substr(0, at == std::string::npos ? text.size() : at);
  if (r.errors.empty()) {
    fs::remove(log);
  } else {
    std::ofstream(log, std::ios::binary | std::ios::trunc) << r.errors;
  }

  r.drawn = code == 0;
  std::error_code ec;
  for (const auto& ext : exts) r.drawn = r.drawn && fs::exists(partial_path(ext)) && fs::file_size(partial_path(ext), ec) > 0;
  for (const auto& ext : exts)
    if (r.drawn) {
      fs::rename(partial_path(ext), final_path(ext), ec);
      r.drawn = !ec;
    }
  for (const auto& ext : exts) {
    if (!r.drawn) {
      // Neither a partial image nor an earlier drawing of other data is left behind.
      fs::remove(partial_path(ext), ec);
      fs::remove(final_path(ext), ec);
    }
  }
  const std::string see = " (log: " + log.filename().string() + ")";
  const bool timed_out = *limit && (code == 124 || code == 137);
  if (timed_out) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", o.timeout_seconds);
    r.report = name + ": not drawn: gnuplot timed out after " + buf + " s";
  } else if (code != 0) {
    r.report = name + ": not drawn: gnuplot failed (exit " + std::to_string(code) + ")" +
               (r.errors.empty() ? "" : ": " + last_message(r.errors) + see);
  } else if (!r.drawn) {
    r.report = name + ": not drawn: gnuplot wrote no image" + (r.errors.empty() ? "" : ": " + last_message(r.errors) + see);
  } else if (!r.errors.empty()) {
    r.report = name + ": gnuplot warned: " + last_message(r.errors) + see;
  }
  r.report = printable(r.report);
  return r;
}

std::string render(const Figure& figure, const std::string& dir, const RenderOptions& options) {
  const std::string report = render_figure(figure, dir, options).report;
  return report.empty() ? report : report + "\n";
}

}  // namespace gradflow
