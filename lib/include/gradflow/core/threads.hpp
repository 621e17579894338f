#pragma once
// Thread count of Eigen's GEMMs and of the OpenMP kernels. The CLI defaults to one thread:
// on a shared 2-core machine spinning OpenMP workers slowed runs down by 10–80×, and one
// thread keeps results bitwise reproducible.
namespace gradflow {

void set_threads(int threads);
int thread_count();

}  // namespace gradflow
