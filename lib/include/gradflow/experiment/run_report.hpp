#pragma once
// run.json, and the terminal summary read from it (so the two never disagree).
//
// run.json: the resolved configuration, seed and version (provenance()), the problem's numbers
// (data, model, L(0), λ_min(H0), λ0), "status" of the run ("running", "interrupted",
// "complete"; experiment/resumable_run.hpp) and one entry per method with its status, time
// reached, rows, CSV, fitted rate, resolved numbers and counters.
#include <nlohmann/json.hpp>
#include <string>

#include "gradflow/experiment/runner.hpp"

namespace gradflow {

/// A number for a report: null when it is NaN or infinite (JSON has neither).
nlohmann::json finite_or_null(double v);

/// One method's entry of run.json; a pending method has only name, kind, status and csv.
nlohmann::json method_report(const MethodResult& method);

/// The content of run.json, with "status": "complete".
nlohmann::json run_report(const Experiment& experiment, const RunResult& result);

/// A short fixed-width summary table for the terminal, from a run report.
std::string summary(const nlohmann::json& report);
std::string summary(const Experiment& experiment, const RunResult& result);

}  // namespace gradflow
