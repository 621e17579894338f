# The kernel and the movement of the weights against time: λ_min(H(θ_t)) (top panel) and
# ‖θ_t − θ_0‖ (bottom panel), every method. A panel without data is left out.
#
# gradflow sets these string variables before loading this file. Lists are space-separated
# words for gnuplot's word()/words(); an item holding spaces is "double-quoted".
#   lambda_files, lambda_titles, lambda_colors, lambda_discrete
#                        the methods with a 'lambda_min' column: CSV file, legend title,
#                        colour (position in run.json), 1 for a discrete method
#   dist_files, dist_titles, dist_colors, dist_discrete
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

nl = words(lambda_files)
nd = words(dist_files)
panels = (nl > 0) + (nd > 0)
set multiplot layout panels, 1 title heading
set grid xtics ytics lc rgb '#dddddd'
set border lw 1.2
set key below horizontal samplen 3 maxrows 2
set xlabel 't  (flow time; step k of a discrete method sits at t = kη)'

if (nl > 0) {
  set ylabel 'λ_min(H(θ_t)),  H = J Jᵀ'
  set offsets 0, 0, graph 0.05, graph 0.05  # keeps the reference lines off the border
  # gnuplot 5.4 evaluates a clause even over an empty iteration: the plot command is
  # assembled from the clauses that have something to draw.
  lambdas = "for [i=1:nl] word(lambda_files, i) using 't':(fin(column('lambda_min'))) \
    with linespoints lw 2 lc rgb palette[(int(word(lambda_colors, i)) - 1) % 8 + 1] \
    pt 7 ps (word(lambda_discrete, i) eq '1' ? 0.6 : 0) pi 10 title word(lambda_titles, i)"
  at_h0 = "(lambda_h0 + 0) with lines lw 1.2 dt 3 lc rgb '#555555' title 'λ_min(H(θ0))'"
  half_l0 = "(lambda0 + 0) / 2 with lines lw 1.2 dt 2 lc rgb '#555555' \
    title sprintf('λ0/2 (λ0 = λ_min(%s)), the theory''s floor', lambda0_source)"
  eval 'plot '.lambdas.(lambda_h0 ne '' ? ', '.at_h0 : '').(lambda0 ne '' ? ', '.half_l0 : '')
}
if (nd > 0) {
  set ylabel '‖θ_t − θ_0‖  (Euclidean, all parameters)'
  set offsets 0, 0, 0, 0
  plot for [i=1:nd] word(dist_files, i) using 't':(fin(column('dist_init'))) \
         with linespoints lw 2 lc rgb palette[(int(word(dist_colors, i)) - 1) % 8 + 1] \
         pt 7 ps (word(dist_discrete, i) eq '1' ? 0.6 : 0) pi 10 title word(dist_titles, i)
}
unset multiplot
