# A serial device that is not a bitbench board, on a pseudo-terminal: prints the slave path, then
#   echo   sends back every byte it receives (a loopback, a terminal with echo on)
#   text   prints a text line every 50 ms (other firmware, a board printing samples)
#   noise  sends bytes with no frame in them (a wrong baud rate)
import os, pty, select, sys, time, tty

mode = sys.argv[1]
master, slave = pty.openpty()
tty.setraw(slave)
print(os.ttyname(slave), flush=True)
n = 0
while True:
    r, _, _ = select.select([master], [], [], 0.05)
    data = b""
    if r:
        try:
            data = os.read(master, 4096)
        except OSError:
            data = b""
    if mode == "echo" and data:
        os.write(master, data)
    elif mode == "text":
        os.write(master, f"temp={20 + n % 5}.5C uptime={n}\r\n".encode())
    elif mode == "noise":
        os.write(master, bytes(((n * 37 + i * 11) % 255) + 1 for i in range(32)))
    n += 1
