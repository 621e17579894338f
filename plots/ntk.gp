# The kernel and the movement of the weights against time: λ_min(H(θ_t)) (top panel) and
# ‖θ_t − θ_0‖ (bottom panel), every method. A panel without data is left out.
#
# gradflow sets these string variables before loading this file. Lists are space-separated
# words for gnuplot's word()/words(); an item holding spaces is "double-quoted".
#   lambda_files, lambda_titles, lambda_colors, lambda_discrete, lambda_points
#                        the methods with a 'lambda_min' column: CSV file, legend title,
#                        colour (a discrete method shares its flow twin's), 1 for a discrete
#                        method (thin line, open markers of point type lambda_points)
#   dist_files, dist_titles, dist_colors, dist_discrete, dist_points
#                        the same for the 'dist_init' column
#   lambda_h0            '' or λ_min(H(θ0)): drawn as a dotted grey reference
#   lambda0, lambda0_source
#                        '' or λ0 and where it comes from ('H_inf' for relu2, 'H(theta0)'):
#                        λ0/2, the lower bound the theory keeps λ_min(H(t)) above, dashed grey
#   heading              the title
# and the terminal and output. H = J(θ)J(θ)ᵀ (no 1/n: the mean convention rescales time, not H).
# Cells holding 'nan' are missing.
set datafile separator ','
set datafile missing 'nan'
set termoption noenhanced
array palette[8] = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2']
fin(y) = (abs(y) < 1e300) ? y : NaN
# One series: flows thick, discrete methods thin with open markers.
lw_of(d) = d eq '1' ? 1 : 2.5
ps_of(d) = d eq '1' ? 0.9 : 0

nl = words(lambda_files)
nd = words(dist_files)
panels = (nl > 0) + (nd > 0)
set multiplot layout panels, 1 title heading
set grid xtics ytics lc rgb '#dddddd'
set border lw 1.2
set xlabel 't  (flow time)'

if (nl > 0) {
  # The methods' legend is under the lower panel; this one names the reference lines.
  # (between the floor and λ_min(H(θ0)), where the curves rarely go)
  if (nd > 0) { set key at graph 0.98, graph 0.32 right top opaque box samplen 3 } \
  else { set key outside below center horizontal samplen 3 }
  set ylabel 'λ_min(H(θ_t)),  H = J Jᵀ'
  set offsets 0, 0, graph 0.05, graph 0.05  # keeps the reference lines off the border
  # gnuplot 5.4 evaluates a clause even over an empty iteration: the plot command is
  # assembled from the clauses that have something to draw.
  lambdas = "for [i=1:nl] word(lambda_files, i) using 't':(fin(column('lambda_min'))) \
    with linespoints lw lw_of(word(lambda_discrete, i)) lc rgb palette[(int(word(lambda_colors, i)) - 1) % 8 + 1] \
    pt int(word(lambda_points, i)) ps ps_of(word(lambda_discrete, i)) pi 10 \
    title (nd > 0 ? '' : word(lambda_titles, i))"
  at_h0 = "(lambda_h0 + 0) with lines lw 1.2 dt 3 lc rgb '#555555' title 'λ_min(H(θ0))'"
  half_l0 = "(lambda0 + 0) / 2 with lines lw 1.2 dt 2 lc rgb '#555555' \
    title sprintf('λ0/2, λ0 = λ_min(%s): the theory''s floor', lambda0_source)"
  eval 'plot '.lambdas.(lambda_h0 ne '' ? ', '.at_h0 : '').(lambda0 ne '' ? ', '.half_l0 : '')
}
if (nd > 0) {
  set key outside below center horizontal noopaque nobox samplen 3 width 1
  set ylabel '‖θ_t − θ_0‖  (Euclidean, all parameters)'
  set offsets 0, 0, 0, 0
  plot for [i=1:nd] word(dist_files, i) using 't':(fin(column('dist_init'))) \
         with linespoints lw lw_of(word(dist_discrete, i)) lc rgb palette[(int(word(dist_colors, i)) - 1) % 8 + 1] \
         pt int(word(dist_points, i)) ps ps_of(word(dist_discrete, i)) pi 10 title word(dist_titles, i)
}
unset multiplot
