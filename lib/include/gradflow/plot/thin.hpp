#pragma once
// Thinning the rows a figure draws, so that drawing cost does not grow with run.samples: a
// curve of more rows than a figure is pixels wide looks the same with a few thousand of them.
#include <cstddef>
#include <vector>

namespace gradflow {

/// The rows to keep of a series sampled at `x`, at most `max_points` (>= 2) of them: all rows
/// when there are no more than that; else the first and the last row and, between them, for
/// each of B equal bins of the x axis (equal in x, or in log x when `log_x`; rows with x <= 0,
/// which a log axis cannot show, are dropped but for the first), the bin's first row and, for
/// each column in `ys`, the rows holding its smallest, largest and smallest positive finite
/// value in the bin: a spike, or the envelope of noise, survives on a linear or a log y axis.
/// B = (max_points − 2) / (1 + 3·ys.size()). When x is not finite and non-decreasing, the bins
/// are equal in the row index instead. The indices are increasing.
std::vector<std::size_t> thin_rows(const std::vector<double>& x, std::size_t max_points, bool log_x = false,
                                   const std::vector<std::vector<double>>& ys = {});

}  // namespace gradflow
