#include "gradflow/core/quote.hpp"

#include <cstdio>

#include "gradflow/core/error.hpp"

namespace gradflow {
namespace {

bool is_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

std::string quoted(std::string_view text, std::string_view what, std::string_view quote_escape) {
  require_printable(text, what);
  std::string q = "'";
  for (const char c : text) q += c == '\'' ? std::string(quote_escape) : std::string(1, c);
  return q + "'";
}

}  // namespace

std::string shortened(const std::string& text) { return text.size() <= 80 ? text : text.substr(0, 80) + "..."; }

std::string printable(std::string_view text) {
  std::string s;
  for (const char c : text) {
    if (c == '\n') s += "\\n";
    else if (c == '\t') s += "\\t";
    else if (is_control(c)) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      s += buf;
    } else s += c;
  }
  return s;
}

void require_printable(std::string_view text, std::string_view what) {
  for (const char c : text)
    if (is_control(c))
      throw input_error(std::string(what) + ": '" + printable(text) + "' holds a control character");
}

std::string gnuplot_quote(std::string_view text, std::string_view what) { return quoted(text, what, "''"); }

std::string shell_quote(std::string_view text, std::string_view what) { return quoted(text, what, "'\\''"); }

void require_identifier(std::string_view name, std::string_view key) {
  const std::string k(key);
  if (name.empty()) throw input_error(k + ": must not be empty");
  if (name.size() > 64)
    throw input_error(k + ": '" + printable(name.substr(0, 64)) + "...' is longer than 64 characters");
  for (const char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '.' || c == '-';
    if (!ok)
      throw input_error(k + ": '" + printable(name) + "' may hold only letters, digits, '_', '.' and '-'");
  }
  if (name == "." || name == "..") throw input_error(k + ": '" + std::string(name) + "' is not a file name");
}

}  // namespace gradflow
