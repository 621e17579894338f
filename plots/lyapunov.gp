# Lyapunov (energy) functions and the pseudo-loss against time.
#
# gradflow sets these string variables before loading this file. Lists are space-separated
# words for gnuplot's word()/words(); an item holding spaces is "double-quoted".
#   files, cols, titles  one series per (method, column) present in the run: CSV file, column
#                        (pseudo_loss, siegel, su or su_corrected), legend title
#   colors               per series, the method's colour (its position in run.json)
#   dashes               per series, the dash type of its column (1 pseudo_loss, 2 siegel,
#                        3 su, 4 su_corrected)
#   discrete             per series, 1 for a discrete method, 0 for a flow
#   logy                 '1' when no value is negative: logarithmic y, non-positive values left
#                        out; '0': linear y
#   ylabel, heading      the y-axis label (names the loss convention) and the title
# and the terminal and output. Cells holding 'nan' are missing. The definitions follow
# MATH.md §4: L̂ = ½ΔᵀHΔ, Siegel's V = L̂ + ½‖√(λ0/2)Δ + Δ̇‖², Su–Boyd–Candès V(t; α, γ)
# and its corrected form Ṽ.
set datafile separator ','
set datafile missing 'nan'
set termoption noenhanced
array palette[8] = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2']
col(i) = palette[(int(word(colors, i)) - 1) % 8 + 1]
pos(y) = (y > 0 && y < 1e300) ? y : NaN
# dash types by style: `dt` itself takes no expression
do for [k=1:4] { set style line k dt k }
fin(y) = (abs(y) < 1e300) ? y : NaN
val(y) = logy eq '1' ? pos(y) : fin(y)

set title heading
set xlabel 't  (flow time; step k of a discrete method sits at t = kη)'
set ylabel ylabel
if (logy eq '1') { set logscale y; set format y '%.0e' }
set grid xtics ytics mytics lc rgb '#dddddd'
set key bottom left box opaque samplen 4
set border lw 1.2

n = words(files)
plot for [i=1:n] word(files, i) using 't':(val(column(word(cols, i)))) \
       with linespoints ls int(word(dashes, i)) lw 2 lc rgb col(i) \
       pt 7 ps (word(discrete, i) eq '1' ? 0.6 : 0) pi 10 title word(titles, i)
