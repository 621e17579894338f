#pragma once
// The one place where user text (method names, labels, paths) is made safe for the two
// interpreters it can reach: gnuplot scripts and the shell that starts gnuplot.
//
// gnuplot reads its script line by line and runs a line that starts with '!' as a shell
// command, so a newline inside a string literal is an injection. Both quoters therefore
// refuse every control character (code < 0x20 and 0x7f) with an input_error naming `what`.
#include <string>
#include <string_view>

namespace gradflow {

/// A gnuplot single-quoted literal ('' stands for one quote; backslashes are literal there).
std::string gnuplot_quote(std::string_view text, std::string_view what);

/// A POSIX shell single-quoted word ('\'' stands for one quote).
std::string shell_quote(std::string_view text, std::string_view what);

/// Throws input_error "<what>: ..." when text holds a control character.
void require_printable(std::string_view text, std::string_view what);

/// Text for an error message: control characters as \n, \t or \xNN, so a message stays on one line.
std::string printable(std::string_view text);

/// User text in a message, cut after 80 characters ("..." marks the cut).
std::string shortened(const std::string& text);

/// Method and variant names name files and appear in figures: [A-Za-z0-9_.-]+, at most 64
/// characters, not "." or "..". Throws input_error "<key>: ..." otherwise.
void require_identifier(std::string_view name, std::string_view key);

}  // namespace gradflow
