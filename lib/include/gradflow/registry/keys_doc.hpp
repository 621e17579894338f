#pragma once
// The keys of every registered kind, printed from the descriptors (`gradflow keys`), so the
// documentation cannot drift: docs/experiment.md embeds keys_markdown() and a test checks it.
#include <string>

namespace gradflow {

/// Plain text for the terminal: every kind, or only `kind` (a model or method kind name).
std::string keys_text(const std::string& kind = "");

/// The Markdown of docs/experiment.md's kind tables: one section per model and method kind.
std::string keys_markdown();

}  // namespace gradflow
