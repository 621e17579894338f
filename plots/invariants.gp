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
#   colors               per series, the method's colour (its position in run.json)
#   dashes               per series: 1 (solid) for a flow, 2 (dashed) for a discrete method
#   discrete             per series, 1 for a discrete method (drawn with markers), 0 for a flow
#   heading, notes       the title, and a second title line defining the columns shown
# and the terminal and output. Cells holding 'nan' are missing; zeros (exact conservation)
# and negative values are left out of the logarithmic y axis.
set datafile separator ','
set datafile missing 'nan'
set termoption noenhanced
array palette[8] = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2']
col(i) = palette[(int(word(colors, i)) - 1) % 8 + 1]
pos(y) = (y > 0 && y < 1e300) ? y : NaN
# dash types by style: `dt` itself takes no expression
do for [k=1:4] { set style line k dt k }

set title heading."\n".notes
set xlabel 't  (flow time; step k of a discrete method sits at t = kη)'
set ylabel 'drift of the invariant from t = 0  (log scale)'
set logscale y
set format y '%.0e'
set grid xtics ytics mytics lc rgb '#dddddd'
set key top left box opaque samplen 4
set border lw 1.2

n = words(files)
plot for [i=1:n] word(files, i) using 't':(pos(column(word(cols, i)))) \
       with linespoints ls int(word(dashes, i)) lw 2 lc rgb col(i) \
       pt 7 ps (word(discrete, i) eq '1' ? 0.6 : 0) pi 10 title word(titles, i)
