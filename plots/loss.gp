# Loss against time for every method of a run, with the theory's bound curves.
#
# gradflow sets these string variables before loading this file. Lists are space-separated
# words for gnuplot's word()/words(); an item holding spaces is "double-quoted".
#   files, cols, titles  one loss series per method: CSV file, column ('loss'), legend title
#   colors               per series, the method's colour (a palette index; a discrete method
#                        shares its flow twin's colour)
#   discrete, points     per series, 1 for a discrete method (thin line, open markers of point
#                        type `points`), 0 for a flow (thick line)
#   bound_files, bound_titles, bound_colors, bound_discrete
#                        the methods whose CSV has a 'bound' column (the theory's bound for
#                        that method): dashed (flows) or dotted (discrete) in the method's colour
#   ymin, ymax           the y range: the decade below the smallest loss to a decade above the
#                        largest (a bound starting higher enters the frame later)
#   du_l0, du_rate       '' or numbers: Du et al.'s bound L(0)·exp(−du_rate·t) for gradient
#                        flow on relu2 (du_rate = c·λ0 with c = 1 for sum, 1/n for mean);
#                        drawn dashed grey, only when no method has a 'bound' column
#   reduction            'sum' or 'mean': the loss convention of the run
#   ylabel, heading      the y-axis label (names the convention) and the title
# and the terminal and output. Cells holding 'nan' are missing; non-positive values are left
# out (logarithmic y). Edit freely; `gradflow plot DIR` redraws from the CSVs.
set datafile separator ','
set datafile missing 'nan'
array palette[8] = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2']
col(i) = palette[(int(word(colors, i)) - 1) % 8 + 1]
bcol(i) = palette[(int(word(bound_colors, i)) - 1) % 8 + 1]
pos(y) = (y > 0 && y < 1e300) ? y : NaN
flow(i) = word(discrete, i) eq '0'
# dash types by style, as `dt` itself takes no expression: 2 dashed, 3 dotted
set style line 2 dt (10, 6)
set style line 3 dt (2, 5)

# Enhanced text for the 10^{n} tick labels only: names hold underscores.
set termoption enhanced
set title heading noenhanced
set xlabel 't  (flow time; step k of a discrete method sits at t = kη, momentum methods at t = k√η)' noenhanced
set ylabel ylabel noenhanced
set logscale y
set format y '10^{%L}'
set yrange [ymin + 0 : ymax + 0]
set grid xtics ytics mytics lc rgb '#dddddd'
# The legend goes below the plot, where it can cover no curve.
set key outside below center horizontal maxrows 3 samplen 3 spacing 1.1 width 2 noenhanced
set border lw 1.2
set samples 400

n = words(files)
nb = words(bound_files)
# gnuplot 5.4 evaluates a clause even over an empty iteration: the plot command is assembled
# from the clauses that have something to draw. Flows first, discrete methods over them.
losses = "for [i=1:n] word(files, i) using 't':(flow(i) ? pos(column(word(cols, i))) : NaN) \
  with lines lw 2.5 lc rgb col(i) title (flow(i) ? word(titles, i) : ''), \
  for [i=1:n] word(files, i) using 't':(flow(i) ? NaN : pos(column(word(cols, i)))) \
  with linespoints lw 1 lc rgb col(i) pt int(word(points, i)) ps 0.9 pi 10 \
  title (flow(i) ? '' : word(titles, i))"
bounds = "for [i=1:nb] word(bound_files, i) using 't':(pos(column('bound'))) \
  with lines ls (word(bound_discrete, i) eq '1' ? 3 : 2) lw 1.5 lc rgb bcol(i) notitle, \
  keyentry with lines ls 2 lw 1.5 lc rgb '#444444' title 'bound, flow', \
  keyentry with lines ls 3 lw 1.5 lc rgb '#444444' title 'bound, discrete'"
du = "(du_l0 + 0) * exp(-(du_rate + 0) * x) \
  with lines lw 1.5 dt 2 lc rgb '#555555' title 'Du et al.: L(0)·exp(−cλ0 t)'"
eval 'plot '.losses.(nb > 0 ? ', '.bounds : '').(du_rate ne '' ? ', '.du : '')
