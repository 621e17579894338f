// The sweep over MPI ranks: rank 0 sends a point index to each idle worker and receives its
// outcome (experiment/sweep.hpp encode_outcome); point folders are written by the workers, so
// the ranks share --out's file system.
#include <cstdlib>
#include <mpi.h>
#include <unistd.h>
#include <vector>

#include "gradflow/core/error.hpp"
#include "sweep_mpi.hpp"

namespace gradflow::cli {
namespace {

constexpr int tag_work = 1, tag_stop = 2, tag_outcome = 3;
bool workers_released = false;

bool launched_by_mpi() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(var)) return true;
  return false;
}

class MpiExecutor final : public SweepExecutor {
 public:
  explicit MpiExecutor(int size) : point_of_(static_cast<std::size_t>(size), none) {}
  ~MpiExecutor() override { mpi_release_workers(); }
  std::size_t slots() const override { return point_of_.size() - 1; }

  void start(std::size_t point) override {
    for (std::size_t r = 1; r < point_of_.size(); ++r)
      if (point_of_[r] == none) {
        long index = static_cast<long>(point);
        MPI_Send(&index, 1, MPI_LONG, static_cast<int>(r), tag_work, MPI_COMM_WORLD);
        point_of_[r] = point;
        return;
      }
    throw std::logic_error("sweep: no idle MPI rank");
  }

  std::optional<std::pair<std::size_t, PointOutcome>> wait() override {
    bool busy = false;
    for (std::size_t r = 1; r < point_of_.size(); ++r) busy = busy || point_of_[r] != none;
    if (!busy) return std::nullopt;
    // Polled with a pause: a blocking probe spins in Open MPI and would take a core from the
    // ranks that run points (rank 0 often shares a machine with them).
    MPI_Status status;
    for (int arrived = 0;;) {
      MPI_Iprobe(MPI_ANY_SOURCE, tag_outcome, MPI_COMM_WORLD, &arrived, &status);
      if (arrived) break;
      ::usleep(2000);
    }
    int length = 0;
    MPI_Get_count(&status, MPI_CHAR, &length);
    std::string text(static_cast<std::size_t>(length), '\0');
    MPI_Recv(text.data(), length, MPI_CHAR, status.MPI_SOURCE, tag_outcome, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    const std::size_t point = point_of_[static_cast<std::size_t>(status.MPI_SOURCE)];
    point_of_[static_cast<std::size_t>(status.MPI_SOURCE)] = none;
    return std::make_pair(point, decode_outcome(text));
  }

  void interrupt(int) override {}  // mpirun forwards the signal to every rank

 private:
  static constexpr std::size_t none = static_cast<std::size_t>(-1);
  std::vector<std::size_t> point_of_;  ///< the point each rank runs (rank 0: none)
};

}  // namespace

MpiSession::MpiSession() {
  if (!launched_by_mpi()) return;
  MPI_Init(nullptr, nullptr);
  initialised_ = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiSession::~MpiSession() {
  if (initialised_) MPI_Finalize();
}

std::unique_ptr<SweepExecutor> mpi_executor(const SweepPlan&) {
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size < 2) throw input_error("sweep under MPI needs 2 ranks at least (rank 0 hands out the points)");
  return std::make_unique<MpiExecutor>(size);
}

void mpi_worker(const SweepPlan& plan, const std::string& points_dir, const PointOptions& options) {
  while (true) {
    MPI_Status status;
    long index = 0;
    MPI_Recv(&index, 1, MPI_LONG, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &status);
    if (status.MPI_TAG == tag_stop) return;
    const auto point = static_cast<std::size_t>(index);
    const std::string text = point < plan.points.size()
                                 ? encode_outcome(run_point(plan, plan.points[point], points_dir, options))
                                 : encode_outcome({"failed", "no such point", 0.0});
    MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, 0, tag_outcome, MPI_COMM_WORLD);
  }
}

void mpi_release_workers() {
  int initialised = 0, finalised = 0, rank = 0, size = 1;
  MPI_Initialized(&initialised);
  MPI_Finalized(&finalised);
  if (!initialised || finalised || workers_released) return;
  workers_released = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (rank != 0) return;
  long none = 0;
  for (int r = 1; r < size; ++r) MPI_Send(&none, 1, MPI_LONG, r, tag_stop, MPI_COMM_WORLD);
}

}  // namespace gradflow::cli
