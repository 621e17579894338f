#pragma once
// A registry of kinds by name. A kind declares itself once, at static-initialisation time,
// in its own source file:
//
//   namespace { const Registration<ModelKind> relu2{ModelKind{.name = "relu2", ...}}; }
//
// and every command finds it by name. The library is linked whole (CMake's WHOLE_ARCHIVE),
// so registrations in otherwise unreferenced files are kept.
#include <algorithm>
#include <deque>
#include <stdexcept>
#include <string>
#include <vector>

#include "gradflow/core/error.hpp"

namespace gradflow {

template <class Kind>
class Registry {
 public:
  static Registry& instance() {
    static Registry registry;
    return registry;
  }

  /// Adds a kind; a second kind of the same name is a programming error.
  const Kind& add(Kind kind) {
    if (find(kind.name)) throw std::logic_error("kind '" + kind.name + "' is registered twice");
    kinds_.push_back(std::move(kind));
    return kinds_.back();
  }
  /// The kind, or null.
  const Kind* find(const std::string& name) const {
    for (const auto& k : kinds_)
      if (k.name == name) return &k;
    return nullptr;
  }
  /// The kind; an unknown name is bad input, named with `key` and the known names.
  const Kind& get(const std::string& name, const std::string& key) const {
    if (const Kind* k = find(name)) return *k;
    throw input_error(key + ": unknown kind '" + name + "' (expected " + names() + ")");
  }
  /// Every kind, sorted by name (registration order depends on the link order).
  std::vector<const Kind*> all() const {
    std::vector<const Kind*> out;
    for (const auto& k : kinds_) out.push_back(&k);
    std::sort(out.begin(), out.end(), [](const Kind* a, const Kind* b) { return a->name < b->name; });
    return out;
  }
  std::string names() const {
    std::string s;
    for (const Kind* k : all()) s += (s.empty() ? "" : ", ") + k->name;
    return s;
  }

 private:
  std::deque<Kind> kinds_;  // stable addresses
};

/// Registers a kind when constructed (one static object per kind).
template <class Kind>
struct Registration {
  explicit Registration(Kind kind) : kind(Registry<Kind>::instance().add(std::move(kind))) {}
  const Kind& kind;
};

}  // namespace gradflow
