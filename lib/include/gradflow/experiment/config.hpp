#pragma once
// A TOML experiment description read key by key. Every getter records the value it
// resolved (given or default) so run.json holds the full configuration; keys never read
// are reported as unknown. Paths are dotted, with array entries counted from 1:
// "run.rtol", "methods.1.eta" (the first method).
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace gradflow {

/// Deepest nesting an experiment may use: tables, dotted-key parts and arrays, counted from
/// the top ("methods.1.eta" is 3). Real experiments use 4 at most (a recipe's [base]).
inline constexpr std::size_t max_config_depth = 16;

/// Throws input_error "<source>:<line>: nested deeper than ..." when TOML `text`, placed
/// `base` levels down, nests deeper than max_config_depth. Run before toml::parse, which
/// recurses (and so can overflow the stack) on deep input.
void check_config_nesting(const std::string& text, const std::string& source, std::size_t base = 0);

class Config {
 public:
  Config();
  ~Config();
  Config(Config&&) noexcept;
  Config& operator=(Config&&) noexcept;

  /// Parses TOML text; `source` names it in error messages (a file name or "default").
  static Config parse(const std::string& text, const std::string& source);
  static Config load(const std::string& path);

  /// Applies one `--set key=value`. The value is read as a TOML value (number, boolean,
  /// string, array); anything that does not parse as one is taken as a string. The key and
  /// value together may nest at most max_config_depth levels.
  void set(const std::string& assignment);

  double get(const std::string& key, double fallback);
  long get(const std::string& key, long fallback);
  int get(const std::string& key, int fallback) { return static_cast<int>(get(key, long{fallback})); }
  bool get(const std::string& key, bool fallback);
  std::string get(const std::string& key, const std::string& fallback);
  std::string get(const std::string& key, const char* fallback) { return get(key, std::string(fallback)); }
  std::vector<double> get(const std::string& key, const std::vector<double>& fallback);
  /// A number, or a string expression such as "sqrt(2*lambda0)": returned as text.
  std::string get_number_or_text(const std::string& key, const std::string& fallback);

  bool has(const std::string& key) const;
  /// Removes the top-level table `key` (such as [sweep]) and returns it as JSON; nothing when
  /// absent. Its keys are then no part of the experiment. Throws when `key` is not a table.
  std::optional<nlohmann::json> take_table(const std::string& key);
  /// Number of entries of an array of tables such as [[methods]] (0 when absent).
  std::size_t count(const std::string& key) const;

  /// Throws input_error for the first key that no getter read.
  void check_all_used() const;
  /// Everything resolved so far, as JSON.
  const nlohmann::json& resolved() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gradflow
