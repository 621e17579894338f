# A sweep metric against one axis (<out>/sweep_<y>_vs_<x>.png, `gradflow sweep-plot`).
#
# gradflow sets these string variables before loading this file (lists are words for
# gnuplot's word()/words(); an item holding spaces is "double-quoted"):
#   files, titles          per series: its data (x,median,low,high,count) and its label
#   fit_titles             per series: "fit C x^{p}", or "" when no power law was fitted
#   prefactors, exponents  per series: the fit's C and p
#   logx, logy             '1' for a logarithmic axis (the values span a decade or more)
#   xlabel, ylabel, heading
#   hline, hline_title     '' or a horizontal reference line and its label
# and the terminal and output.
set datafile separator ','
set xlabel xlabel noenhanced
set ylabel ylabel noenhanced
set title heading noenhanced
set key outside right
set grid
if (logx eq '1') { set logscale x }
if (logy eq '1') { set logscale y; set format y '10^{%L}' }
set style fill transparent solid 0.2 noborder
set offsets graph 0.02, graph 0.02, graph 0.08, graph 0.08   # a reference line on an edge stays visible

n = words(files)
bands = "for [i=1:n] word(files, i) using 'x':'low':'high' with filledcurves lc i notitle"
medians = "for [i=1:n] word(files, i) using 'x':'median' with linespoints lw 2 pt 7 lc i title word(titles, i) noenhanced"
fits = "for [i=1:n] (word(fit_titles, i) ne '' ? (word(prefactors, i) + 0) * x**(word(exponents, i) + 0) : NaN) \
  with lines dt 2 lw 1.5 lc i title word(fit_titles, i)"
reference = "(hline + 0) with lines dt 3 lw 2 lc rgb 'black' title hline_title noenhanced"
eval 'plot '.bands.', '.medians.', '.fits.(hline ne '' ? ', '.reference : '')
