# Lyapunov (energy) functions and the pseudo-loss against time: one panel per quantity the
# run has (pseudo_loss, siegel, su, su_corrected), one curve per method.
#
# gradflow sets these string variables before loading this file. Lists are space-separated
# words for gnuplot's word()/words(); an item holding spaces is "double-quoted".
#   panels, panel_labels the columns present and their definitions (panel titles)
#   first, last          per panel, the 1-based range of its series in the lists below
#   logy                 per panel, '1' when it has no negative value: logarithmic y,
#                        non-positive values left out; '0': linear y
#   layout               'rows,columns' of the panels
#   files, cols, titles  per series: CSV file, column, legend title (the method)
#   colors               per series, the method's colour (a discrete method shares its flow
#                        twin's colour)
#   discrete, points     per series, 1 for a discrete method (thin line, open markers of point
#                        type `points`), 0 for a flow (thick line)
#   ylabel, heading      the y-axis label (names the loss convention) and the title
# and the terminal and output. Cells holding 'nan' are missing. The definitions follow
# MATH.md §4: L̂ = ½ΔᵀHΔ, Siegel's V = L̂ + ½‖√(λ0/2)Δ + Δ̇‖², Su–Boyd–Candès V(t; α, γ)
# and its corrected form Ṽ.
set datafile separator ','
set datafile missing 'nan'
array palette[8] = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2']
col(i) = palette[(int(word(colors, i)) - 1) % 8 + 1]
pos(y) = (y > 0 && y < 1e300) ? y : NaN
fin(y) = (abs(y) < 1e300) ? y : NaN
flow(i) = word(discrete, i) eq '0'

# Enhanced text for the 10^{n} tick labels only: names hold underscores.
set termoption enhanced
set multiplot layout @layout title heading noenhanced
set xlabel 't  (flow time)' noenhanced
set ylabel ylabel noenhanced
set grid xtics ytics mytics lc rgb '#dddddd'
# Each panel's legend below it, where it can cover no curve.
set key outside below center horizontal samplen 3 width 1 noenhanced
set border lw 1.2

do for [j=1:words(panels)] {
  set title word(panel_labels, j) noenhanced
  lg = word(logy, j) eq '1'
  if (lg) { set logscale y; set format y '10^{%L}' } \
  else { unset logscale y; set format y '%g' }
  a = int(word(first, j)); b = int(word(last, j))
  v(y) = lg ? pos(y) : fin(y)
  plot for [i=a:b] word(files, i) using 't':(flow(i) ? v(column(word(cols, i))) : NaN) \
         with lines lw 2.5 lc rgb col(i) title (flow(i) ? word(titles, i) : ''), \
       for [i=a:b] word(files, i) using 't':(flow(i) ? NaN : v(column(word(cols, i)))) \
         with linespoints lw 1 lc rgb col(i) pt int(word(points, i)) ps 0.9 pi 10 \
         title (flow(i) ? '' : word(titles, i))
}
unset multiplot
