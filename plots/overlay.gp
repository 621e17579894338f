# A recipe's overlay: one column of one method across the recipe's variants
# (<out>/<column>_<method>.png, written by `gradflow reproduce`).
#
# gradflow sets these string variables before loading this file. Lists are space-separated
# words for gnuplot's word()/words(); an item holding spaces is "double-quoted".
#   files, titles        per variant that ran the method: its CSV (relative to the recipe's
#                        output folder) and its label
#   xscales              per variant, the factor of t on the x axis: '1', or the variant's
#                        abscissa x when the recipe plots against t·x
#   col, logy            the column drawn, and '1' for a logarithmic y (non-positive values
#                        left out) or '0'
#   xlabel, heading      the x-axis label and the title
#   bound_l0s, bound_rates, bound_titles
#                        Xu et al.'s bound L(0)·f(η*, 0)^t per variant (t in steps); empty
#                        lists when the recipe does not ask for it
#   ref_file, ref_xscale, ref_title
#                        '' or a reference method of the first variant (e.g. a closed form),
#                        drawn dashed black
# and the terminal and output. Cells holding 'nan' are missing.
set datafile separator ','
set datafile missing 'nan'
set xlabel xlabel noenhanced
set ylabel col noenhanced
set key outside right
set grid
set title heading noenhanced
lg = logy eq '1'
if (lg) { set logscale y; set format y '10^{%L}' }
y(v) = lg ? (v > 0 ? v : NaN) : v

n = words(files)
nb = words(bound_rates)
# The plot command is assembled from the clauses that have something to draw (gnuplot 5.4
# evaluates a clause even over an empty iteration).
series = "for [i=1:n] word(files, i) using (column('t') * (word(xscales, i) + 0)):(y(column(col))) \
  with linespoints lw 2 pt 7 ps 0.3 title word(titles, i) noenhanced"
bounds = "for [i=1:nb] (word(bound_l0s, i) + 0) * (word(bound_rates, i) + 0)**x \
  with lines lw 1 dt 2 title word(bound_titles, i) noenhanced"
reference = "ref_file using (column('t') * (ref_xscale + 0)):(y(column(col))) \
  with lines lw 2 dt 2 lc rgb 'black' title ref_title noenhanced"
eval 'plot '.series.(nb > 0 ? ', '.bounds : '').(ref_file ne '' ? ', '.reference : '')
