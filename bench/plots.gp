# plots.gp: gnuplot -e "dir='OUTDIR'" bench/plots.gp
# Draws the data files bench/report.py wrote in OUTDIR (medians with
# min-max error bars, native and interpoll side by side).
if (!exists("dir")) dir = "."
set terminal pngcairo noenhanced size 900,560 font "sans,11"
set grid ytics
set key top left
set bmargin 5
has(f) = system("grep -qs '^[^#].*[0-9]' ".dir."/".f." && echo 1 || echo 0") + 0

# Cost vs N: one ready fd among N registered.
set output dir."/scale_wait.png"
set title "epoll_wait returning 1 ready fd among N registered"
set xlabel "N registered fds (log)"
set ylabel "µs per call"
set logscale x
set xrange [5:300000]
set logscale y
set yrange [0.1:100]
set key top right
plot dir."/scale_wait_native.dat" using 1:2:3:4 with yerrorlines lw 2 pt 7 title "native", \
     dir."/scale_wait_interpoll.dat" using 1:2:3:4 with yerrorlines lw 2 pt 5 title "interpoll"

set output dir."/scale_ctl.png"
set title "epoll_ctl ADD and DEL of one more fd with N registered"
set ylabel "µs per call"
plot dir."/scale_add_native.dat" using 1:2:3:4 with yerrorlines lw 2 pt 7 title "ADD native", \
     dir."/scale_add_interpoll.dat" using 1:2:3:4 with yerrorlines lw 2 pt 5 title "ADD interpoll", \
     dir."/scale_del_native.dat" using 1:2:3:4 with yerrorlines lw 2 dt 2 pt 6 title "DEL native", \
     dir."/scale_del_interpoll.dat" using 1:2:3:4 with yerrorlines lw 2 dt 2 pt 4 title "DEL interpoll"
unset logscale x
unset logscale y
unset xrange
unset xlabel
set key top left

# Bar charts: native vs interpoll with min-max error bars.
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.7 border -1
set boxwidth 0.9
set xtics nomirror scale 0
set yrange [0:*]

set output dir."/latency.png"
set title "Wake-up latency through epoll_wait (one way)"
set ylabel "µs"
plot dir."/latency.dat" using 2:3:4:xtic(1) title "native", \
     "" using 5:6:7 title "interpoll"

set output dir."/percall.png"
set title "Cost per call (log scale)"
set ylabel "µs per call (log)"
set logscale y
set yrange [0.1:*]
set xtics font "sans,9"
plot dir."/percall.dat" using 2:3:4:xtic(1) title "native", \
     "" using 5:6:7 title "interpoll"
unset logscale y
set xtics font "sans,11"
set yrange [0:*]

if (has("servers.dat")) {
  set output dir."/servers.png"
  set title "Real servers, client native on 127.0.0.1"
  set ylabel "thousand requests/s"
  plot dir."/servers.dat" using 2:3:4:xtic(1) title "native", \
       "" using 5:6:7 title "interpoll"
}
