// One Lifeboat volume snapshot or restore in a process of its own, so its peak RSS is measured alone.
// Usage: node out-vol/bench/volumeOnce.js snapshot <volume> <backupDir> <helperImage>
//        node out-vol/bench/volumeOnce.js restore  <volume> <backupDir> <helperImage> <file>
// Prints one JSON line: wall time, peak RSS, the file (snapshot) and the time of each phase.
import { connectDocker } from '../src/core/docker';
import { restoreVolume, snapshotVolume } from '../src/core/volume';

async function main(): Promise<void> {
  const [op, volume, backupDir, helperImage, file] = process.argv.slice(2);
  const docker = connectDocker();
  const phases: { phase: string; ms: number }[] = [];
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
  const progress = (p: { phase: string }) => {
    // Group "Stopping x" / "Starting x" and friends by their first word and volume.
    if (phases.at(-1)?.phase !== p.phase) phases.push({ phase: p.phase, ms: elapsed() });
  };
  let path: string | undefined;
  let safety: string | undefined;
  if (op === 'snapshot') {
    path = (await snapshotVolume(docker, { volume, backupDir, helperImage, stopContainers: [], progress })).path;
  } else if (op === 'restore') {
    safety = (await restoreVolume(docker, { volume, backupDir, helperImage, file, progress })).safety?.path;
  } else {
    throw new Error(`unknown operation ${op}`);
  }
  const ms = elapsed();
  // Durations of each phase, from its first progress report to the next phase's.
  const durations = phases.map((p, i) => ({ phase: p.phase, ms: (phases[i + 1]?.ms ?? ms) - p.ms }));
  process.stdout.write(JSON.stringify({ ms, maxRssKb: process.resourceUsage().maxRSS, path, safety, phases: durations }) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
