# Discrete methods against their flows: deviation against the step size η, log-log, one panel
# per deviation column of compare.csv, with the fitted power law C·η^p dashed and its slope p
# in the legend. The schema of compare.csv is documented in lib/include/gradflow/plot/figure.hpp:
# one row per (method, eta) with columns method, eta, max_param_dev, max_loss_dev,
# imbalance_drift and optional slope_<deviation> columns.
#
# gradflow sets these string variables before loading this file. Lists are space-separated
# words for gnuplot's word()/words(); an item holding spaces is "double-quoted".
#   file                 'compare.csv'
#   panels, panel_labels the deviation columns present and their definitions
#   first, last          per panel, the 1-based range of its data series in the lists below
#   methods, cols, titles, colors
#                        per data series: the method whose rows it draws, the column, the
#                        legend title (holds the slope), the colour
#   fit_first, fit_last  per panel, the range of its fitted lines (empty when last < first)
#   fit_c, fit_p, fit_colors
#                        per fitted line: C and p of C·η^p, and the colour of its method
#   heading              the title
#   xmin, xmax           the η range ('' to let gnuplot choose)
#   etas                 the step sizes of the grid, labelled on the x axis
# and the terminal and output. Cells holding 'nan' are missing; non-positive deviations are
# left out (log-log axes).
set datafile separator ','
set datafile missing 'nan'
set termoption noenhanced
array palette[8] = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2']
pal(s) = palette[(int(s) - 1) % 8 + 1]
pos(y) = (y > 0 && y < 1e300) ? y : NaN
pick(m, q) = strcol('method') eq m ? pos(column(q)) : NaN

np = words(panels)
set multiplot layout 1, np title heading
set logscale xy
set format x '%g'
set format y '%.0e'
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set border lw 1.2
# The legend goes below each panel, where it can cover no point.
set key outside below center vertical samplen 3
if (xmin ne '') { set xrange [xmin + 0 : xmax + 0] }
if (words(etas) > 0) { set xtics (); do for [i=1:words(etas)] { set xtics add (word(etas, i) word(etas, i) + 0) } }
set xlabel 'step size η  (t_k = kη for GD, k√η for HB and NAG)'
set samples 200

do for [j=1:np] {
  set title word(panel_labels, j)
  set ylabel word(panels, j).'  (max over the horizon)'
  a = int(word(first, j)); b = int(word(last, j))
  fa = int(word(fit_first, j)); fb = int(word(fit_last, j))
  # gnuplot 5.4 evaluates a clause even over an empty iteration: add the fits only when present.
  points = "for [i=a:b] file using 'eta':(pick(word(methods, i), word(cols, i))) \
    with points pt 7 ps 1.2 lc rgb pal(word(colors, i)) title word(titles, i)"
  fits = "for [i=fa:fb] (word(fit_c, i) + 0) * x ** (word(fit_p, i) + 0) \
    with lines lw 1.5 dt 2 lc rgb pal(word(fit_colors, i)) notitle"
  eval 'plot '.points.(fb >= fa ? ', '.fits : '')
}
unset multiplot
