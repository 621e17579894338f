#pragma once
// SIGINT and SIGTERM as a request to stop: the handler only records the signal, and the
// run stops at its next sample (InterruptStop, observe/sink.hpp) or, in an integrator, at its
// next step (a slow flow may take minutes between samples), keeping what it wrote.
// The handlers are one-shot: a second Ctrl-C kills the process the usual way.
#include <string>

namespace gradflow {

/// Installs the handlers (idempotent).
void catch_interrupts();

/// The signal that asked the run to stop, or 0.
int interrupt_signal();

/// "interrupted by SIGINT" (SIGTERM, or "a signal").
std::string interrupt_message(int signal);

/// For tests: as if `signal` had been received (0 clears it).
void request_interrupt(int signal);

}  // namespace gradflow
