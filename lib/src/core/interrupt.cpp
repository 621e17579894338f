#include "gradflow/core/interrupt.hpp"

#include <csignal>

namespace gradflow {
namespace {

volatile std::sig_atomic_t received = 0;

extern "C" void on_signal(int signal) {
  received = signal;
  std::signal(signal, SIG_DFL);  // the next one is not caught
}

}  // namespace

void catch_interrupts() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

int interrupt_signal() { return received; }

std::string interrupt_message(int signal) {
  return std::string("interrupted by ") + (signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "a signal");
}

void request_interrupt(int signal) { received = signal; }

}  // namespace gradflow
