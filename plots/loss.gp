# Loss against time for every method of a run, with the theory's bound curves.
#
# gradflow sets these string variables before loading this file. Lists are space-separated
# words for gnuplot's word()/words(); an item holding spaces is "double-quoted".
#   files, cols, titles  one loss series per method: CSV file, column ('loss'), legend title
#   colors               per series, the method's colour (its position in run.json)
#   discrete             per series, 1 for a discrete method (drawn with markers), 0 for a flow
#   bound_files, bound_titles, bound_colors
#                        the methods whose CSV has a 'bound' column (the theory's bound for
#                        that method): drawn dashed in the method's colour
#   du_l0, du_rate       '' or numbers: Du et al.'s bound L(0)·exp(−du_rate·t) for gradient
#                        flow on relu2 (du_rate = c·λ0 with c = 1 for sum, 1/n for mean);
#                        drawn dashed grey, only when no method has a 'bound' column
#   reduction            'sum' or 'mean': the loss convention of the run
#   ylabel, heading      the y-axis label (names the convention) and the title
# and the terminal and output. Cells holding 'nan' are missing; non-positive values are left
# out (logarithmic y). Edit freely; `gradflow plot DIR` redraws from the CSVs.
set datafile separator ','
set datafile missing 'nan'
set termoption noenhanced
array palette[8] = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2']
col(i) = palette[(int(word(colors, i)) - 1) % 8 + 1]
bcol(i) = palette[(int(word(bound_colors, i)) - 1) % 8 + 1]
pos(y) = (y > 0 && y < 1e300) ? y : NaN

set title heading
set xlabel 't  (flow time; step k of a discrete method sits at t = kη)'
set ylabel ylabel
set logscale y
set format y '%.0e'
set grid xtics ytics mytics lc rgb '#dddddd'
set key bottom left box opaque samplen 3
set border lw 1.2
set samples 400

n = words(files)
nb = words(bound_files)
# gnuplot 5.4 evaluates a clause even over an empty iteration: the plot command is assembled
# from the clauses that have something to draw.
losses = "for [i=1:n] word(files, i) using 't':(pos(column(word(cols, i)))) \
  with linespoints lw 2 lc rgb col(i) pt 7 ps (word(discrete, i) eq '1' ? 0.6 : 0) pi 10 \
  title word(titles, i)"
bounds = "for [i=1:nb] word(bound_files, i) using 't':(pos(column('bound'))) \
  with lines lw 1.5 dt 2 lc rgb bcol(i) title word(bound_titles, i)"
du = "(du_l0 + 0) * exp(-(du_rate + 0) * x) \
  with lines lw 1.5 dt 2 lc rgb '#555555' title 'Du et al. bound L(0)·exp(−cλ0 t), gradient flow'"
eval 'plot '.losses.(nb > 0 ? ', '.bounds : '').(du_rate ne '' ? ', '.du : '')
