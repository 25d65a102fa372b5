# A "board" that prints text lines on a pseudo-terminal, for the data-forwarder integration test.
# Prints the slave path, waits for "go" on stdin, then writes a header and one line per sample at
# the given rate; line 51 is garbage on purpose. With a second rate and a time, it switches to that
# rate at that many seconds (a board whose rate drifts after the forwarder measured it).
import os, pty, sys, time, tty

hz = float(sys.argv[1])
hz2 = float(sys.argv[2]) if len(sys.argv) > 2 else hz
switch_s = float(sys.argv[3]) if len(sys.argv) > 3 else float("inf")
switch_n = switch_s * hz
master, slave = pty.openpty()
tty.setraw(slave)
print(os.ttyname(slave), flush=True)
sys.stdin.readline()
os.write(master, b"ax,ay,az\r\n")
t0 = time.monotonic()
n = 0
while True:
    due = t0 + (n / hz if n <= switch_n else switch_s + (n - switch_n) / hz2)
    now = time.monotonic()
    if due > now:
        time.sleep(due - now)
    line = "oops,?,!\r\n" if n == 50 else f"{n},{-n},{n * 0.5}\r\n"
    os.write(master, line.encode())
    n += 1
