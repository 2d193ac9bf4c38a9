/** What files this test process holds open, from /proc (Linux). */
import fs from 'node:fs';

/** How many of this process's file descriptors are open on `file` (a real path). */
export function openDescriptorsOn(file: string): number {
  return fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false;
    }
  }).length;
}
