// Child process for the orphan test: starts QEMU through the launcher, prints the pids, then waits
// to be killed. The test SIGKILLs this process and checks QEMU went with it.
import { launchQemu } from '../../../src/main/device/qemu-launcher';

const q = await launchQemu({
  label: 'orphan-test',
  args: ['-M', 'mps2-an386', '-S', '-display', 'none', '-serial', 'pty', '-monitor', 'none'],
});
process.stdout.write(JSON.stringify({ pty: q.ptyPath, pid: q.pid, qemuPid: q.qemuPid }) + '\n');
setInterval(() => {}, 1000);
