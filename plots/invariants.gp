# Invariants of the gradient flow against time, flows against discrete methods.
#
# Columns (drift from t = 0 of a quantity the gradient flow conserves):
#   imbalance  linear2:           ‖(W1ᵀW1 − W2W2ᵀ)(t) − (W1ᵀW1 − W2W2ᵀ)(0)‖_F
#   balance    two_layer (relu):  max_k |(a_k² − ‖w_k‖²)(t) − (a_k² − ‖w_k‖²)(0)|
# A flow keeps them at the integrator's error; a discrete method drifts at O(η) per unit time.
#
# gradflow sets these string variables before loading this file. Lists are space-separated
# words for gnuplot's word()/words(); an item holding spaces is "double-quoted".
#   files, cols, titles  one series per (method, column) present: CSV file, column, legend title
#   colors               per series, the method's colour (a discrete method shares its flow
#                        twin's colour)
#   dashes               per series, 1 (kept for edits: a dash style per series)
#   discrete, points     per series, 1 for a discrete method (thin line, open markers of point
#                        type `points`), 0 for a flow (thick line)
#   heading, notes       the title, and a second title line defining the columns shown
# and the terminal and output. Cells holding 'nan' are missing; zeros (exact conservation)
# and negative values are left out of the logarithmic y axis.
set datafile separator ','
set datafile missing 'nan'
array palette[8] = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2']
col(i) = palette[(int(word(colors, i)) - 1) % 8 + 1]
pos(y) = (y > 0 && y < 1e300) ? y : NaN
flow(i) = word(discrete, i) eq '0'

# Enhanced text for the 10^{n} tick labels only: names hold underscores.
set termoption enhanced
set title heading."\n".notes noenhanced
set xlabel 't  (flow time; step k of a discrete method sits at t = kη, momentum methods at t = k√η)' noenhanced
set ylabel 'drift of the invariant from t = 0' noenhanced
set logscale y
set format y '10^{%L}'
set grid xtics ytics mytics lc rgb '#dddddd'
# The legend goes below the plot, where it can cover no curve.
set key outside below center horizontal samplen 3 width 1 noenhanced
set border lw 1.2

n = words(files)
plot for [i=1:n] word(files, i) using 't':(flow(i) ? pos(column(word(cols, i))) : NaN) \
       with lines lw 2.5 lc rgb col(i) title (flow(i) ? word(titles, i) : ''), \
     for [i=1:n] word(files, i) using 't':(flow(i) ? NaN : pos(column(word(cols, i)))) \
       with linespoints lw 1 lc rgb col(i) pt int(word(points, i)) ps 0.9 pi 10 \
       title (flow(i) ? '' : word(titles, i))
