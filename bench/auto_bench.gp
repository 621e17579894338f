# Error against wall time for the ReLU integrators and SciPy (bench/auto_bench.cpp's points).
#   gnuplot bench/auto_bench.gp     (from the repository root; writes docs/figures/switching/)
set datafile separator ","
set terminal pngcairo size 900,600 font "sans,11"
set output "docs/figures/switching/error_vs_time.png"
set logscale xy
set format y "10^{%L}"
set xlabel "wall time [s] (one thread)"
set ylabel "relative error ‖θ(5) − θ_{ref}(5)‖ / ‖θ_{ref}(5) − θ_0‖"
set title "relu2 gradient flow, n=100, d=10, m=1000, t = 5 (labels: rtol)"
set key top right
set grid
file = "bench/results/auto_bench.csv"
sel(name, col) = (strcol(1) eq name && strcol(3) eq "completed") ? column(col) : NaN
plot file using (sel("gradflow auto", 5)):(sel("gradflow auto", 7)) every ::1 with points pt 7 ps 1.3 title "gradflow auto", \
     "" using (sel("gradflow auto", 5)):(sel("gradflow auto", 7)):(sprintf("%.0e", column(2))) every ::1 with labels offset char 0,1 font ",8" notitle, \
     "" using (sel("gradflow exact", 5)):(sel("gradflow exact", 7)) every ::1 with points pt 5 ps 1.3 title "gradflow exact", \
     "" using (sel("gradflow off", 5)):(sel("gradflow off", 7)) every ::1 with points pt 9 ps 1.3 title "gradflow off (plain dopri5)", \
     "" using (sel("SciPy RK45", 5)):(sel("SciPy RK45", 7)) every ::1 with points pt 4 ps 1.3 title "SciPy RK45", \
     "" using (sel("SciPy DOP853", 5)):(sel("SciPy DOP853", 7)) every ::1 with points pt 6 ps 1.3 title "SciPy DOP853"
